"""Issue 23, finding 1, fuzzed: the parsers of learner text finish quickly on any input, and never fail.

Backtracking blows up on long repetitions of a short unit, so the generated texts are made of
repeated fragments of the characters the patterns care about (quotes, colons, dashes, tags...).
Each example has a deadline in this thread's CPU time (a machine busy with other work does not make a parser
slow); the budget is off so the parsers must be fast by themselves.
"""

from __future__ import annotations

import functools
import gc
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drip.channels.sendgrid_inbound import intake, parse_inbound
from drip.domain.budget import Budget
from drip.domain.choices import parse_choice, plain
from drip.domain.html_text import html_to_text
from drip.domain.reply_text import visible_reply

_ALPHABET = st.sampled_from(list("aZ9 \t\n>:-_.,!?@<'\"/=*#&;") + ["On ", "wrote", "From:", "Sent from my ", "\u00a0"])
_FRAGMENT = st.lists(_ALPHABET, min_size=1, max_size=6).map("".join)
# A few fragments, each repeated up to thousands of times: the shapes that make patterns backtrack.
HOSTILE_TEXT = st.lists(st.tuples(_FRAGMENT, st.integers(1, 4000)), min_size=1, max_size=4).map(
    lambda parts: "".join(fragment * times for fragment, times in parts)
)
_TAG = st.sampled_from(
    ["<a ", "<div>", "</div>", "<blockquote>", "<p", "<br>", "<!--", '<a href="', "&#", "<pre>", "x "]
)
HOSTILE_HTML = st.lists(st.tuples(_TAG, st.integers(1, 3000)), min_size=1, max_size=4).map(
    lambda parts: "".join(tag * times for tag, times in parts)
)
FUZZ = settings(
    max_examples=60,
    deadline=None,  # wall clock: see within_cpu
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)
OFF = 1e9
CPU_SECONDS = 0.5  # per example


def within_cpu(test):
    """Fail an example that takes more than CPU_SECONDS of this thread's CPU (collections of the heap paused)."""

    @functools.wraps(test)
    def timed(*args, **kwargs):
        gc.disable()
        try:
            started = time.thread_time()
            test(*args, **kwargs)
            spent = time.thread_time() - started
        finally:
            gc.enable()
        assert spent < CPU_SECONDS, f"{spent:.3f} s of CPU on one example"

    return timed


@FUZZ
@given(HOSTILE_TEXT)
@within_cpu
def test_visible_reply_is_fast_on_any_text_and_never_empty_when_it_has_some(text):
    kept = visible_reply(text, Budget(OFF))
    assert bool(kept.strip()) == bool(text.strip())  # issue 27: a reply with text is never empty


@FUZZ
@given(HOSTILE_HTML)
@within_cpu
def test_html_to_text_is_fast_on_any_markup(html):
    assert isinstance(html_to_text(html, Budget(OFF)), str)


@FUZZ
@given(HOSTILE_TEXT)
@within_cpu
def test_choices_are_read_fast_from_any_text(text):
    plain(text)
    assert parse_choice(text, ["Delegation", "Feedback", "Coaching"]) in (None, 0, 1, 2)


@FUZZ
@given(HOSTILE_TEXT, st.sampled_from(["text", "html", "email"]))
@within_cpu
def test_an_inbound_post_is_taken_in_and_parsed_fast(text, field):
    value = "From: ada@example.com\nMessage-ID: <fuzz@example.com>\n\n" + text if field == "email" else text
    form = {"from": "ada@example.com", "headers": "Message-ID: <fuzz@example.com>\n", field: value}
    received = intake(form)
    email = parse_inbound(received.form, message_id=received.message_id, budget=Budget(OFF))
    assert email.from_address == "ada@example.com" and email.message_id == "<fuzz@example.com>"
