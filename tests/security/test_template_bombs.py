"""Template bombs are refused fast, on save and at send; output is bounded (finding 3)."""

from __future__ import annotations

import time

import pytest

from drip.domain.templates import EMAIL_MAX_BYTES, SMS_MAX_CHARACTERS, TemplateProblem, render, sample_context, validate
from drip.domain.outgoing import DeliveryToSend
from tests.support.messages import build_message
from drip.services.programs.sequences import SequenceInvalid, StepInput, create_sequence

WIDE = "[" + ",".join(["1"] * 50) + "]"
BOMBS = {
    "nested range loops": "{% for a in range(5000) %}{% for b in range(5000) %}x{% endfor %}{% endfor %}",
    "tower of powers": "{{ (((9**99)**99)**99)**3 }}",
    "four powers": "{{ ((((9**99)**99)**99)**99) }}",
    "a 10 MB string": "{{ 'x'.ljust(10**7) }}",
    "repetition": "{{ 'x' * 10000000 }}",
    "doubling by set": "{% set x = name %}" + "{% set x = x ~ x %}" * 40 + "{{ x }}",
    "three nested loops": "{% for a in [1] %}{% for b in [1] %}{% for c in [1] %}x{% endfor %}{% endfor %}{% endfor %}",
    "a long written list": "{% for a in [" + ",".join(["1"] * 5000) + "] %}{% endfor %}",
    "macro recursion": "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
    "a format filter": "{{ '%099999999d' | format(1) }}",
    "a wide center": "{{ name | center(100000000) }}",
}


@pytest.mark.parametrize("body", list(BOMBS.values()), ids=list(BOMBS))
def test_a_bomb_is_refused_in_a_few_milliseconds(body):
    started = time.thread_time()  # this thread's CPU: a busy machine's queue is not the check's time
    reasons = validate(body)
    assert reasons and ("not allowed" in reasons[0] or "longer than" in reasons[0]), reasons
    assert time.thread_time() - started < 2  # the unbounded versions ran for 7 s to forever


def test_silent_nested_loops_within_bounds_are_fine():
    body = f"{{% for a in {WIDE} %}}{{% for b in {WIDE} %}}{{% endfor %}}{{% endfor %}}ok"
    assert render(body, sample_context()) == "ok"


def test_output_is_bounded_by_channel():
    loud = (
        "{% for a in "
        + WIDE
        + " %}{% for b in "
        + WIDE
        + " %}"
        + "{{ session.title }} " * 10
        + "{% endfor %}{% endfor %}"
    )
    with pytest.raises(TemplateProblem, match="longer than 100 KB"):
        render(loud, sample_context())
    sms = "x" * (SMS_MAX_CHARACTERS + 1)
    assert render(sms, sample_context()) == sms  # fine as an email
    with pytest.raises(TemplateProblem, match="at most 1600 characters"):
        render(sms, sample_context(), sms=True)
    assert EMAIL_MAX_BYTES == 100 * 1024


def test_saving_a_bomb_stores_nothing(app, trainer):
    from drip.extensions import db
    from drip.models import Sequence

    for body in (BOMBS["tower of powers"], "{{ session.title }}" * 20_000):
        with pytest.raises(SequenceInvalid):
            create_sequence(
                trainer, name="Bomb", steps=[StepInput("reminder", "email", "start", "-P1D", body, subject="Hi")]
            )
    assert db.session.query(Sequence).count() == 0


@pytest.mark.parametrize("channel", ["sms", "email"])
def test_a_bomb_stored_before_the_rules_is_refused_at_send(app, channel):
    from datetime import datetime, timezone

    parcel = DeliveryToSend(
        delivery_id=1,
        claim="c",
        channel=channel,
        reply_token="r",
        learner_id=1,
        learner_name="Ada Lovelace",
        learner_timezone=None,
        unsubscribe_token="u",
        trainer_id=1,
        trainer_name="Tess",
        kind="reminder",
        body=BOMBS["four powers"],
        subject="Hi",
        choices=None,
        session_title="Feedback",
        starts_at=datetime(2030, 1, 1, tzinfo=timezone.utc),
        session_timezone="UTC",
        join_url="",
        step_id=1,
        session_id=1,
        digest_source=None,
        source_step_id=None,
        digest_by="first_name",
    )
    started = time.thread_time()
    with pytest.raises(TemplateProblem):
        build_message(parcel, "+14155550101" if channel == "sms" else "ada@example.com")
    assert time.thread_time() - started < 0.5


def test_the_check_runs_before_jinja_folds_constants():
    import tracemalloc

    tracemalloc.start()
    try:
        validate(BOMBS["a format filter"])  # folded at compile time, it would build a 100 MB string
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5 * 1024 * 1024
