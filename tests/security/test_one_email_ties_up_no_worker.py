"""Issue 23, finding 1: one hostile email tied up a web worker for seconds to minutes.

Now the webhook only reads the sender and Message-ID and stores the post; a worker parses it, each
step linear in an input cut to a bounded size, the whole parse within a time budget past which the
raw text is kept. Each hostile shape, at the largest size the webhook accepts, finishes every step
in under 100 ms of CPU (CPU time, so a busy machine does not fail the test: the shapes that were
quadratic took seconds).
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select
from werkzeug.test import EnvironBuilder, run_wsgi_app

from drip.channels.sendgrid_inbound import intake, parse_inbound
from drip.domain.budget import Budget
from drip.domain.choices import parse_choice, plain
from drip.domain.cohort import masked
from drip.domain.consent import answer as consent_answer
from drip.domain.in_request import routed_in_request
from drip.domain.keywords import classify_keyword
from drip.domain.links import learners_urls
from drip.domain.word_cloud import words_of
from drip.domain.html_text import html_to_text
from drip.domain.reply_text import visible_reply
from drip.models import InboundMessage, InboundReceipt
from tests.security.hostile_shapes import FIELD_MAX, HTML_SHAPES, TEXT_SHAPES
from tests.support.inbound_factory import EMAIL_PATH, inbound_parse_form
from tests.support.webhook_drain import drain

# The shapes cost 6-30 s each before they were bounded (quadratic in their 60,000 characters); a
# bounded step takes a few ms, the slowest (a raw email of 60,000 blank lines, the email package's
# parser) 140 ms on a quiet machine and 265 ms in a loaded CI run. The bounds sit far above that, so
# a loaded CI machine (where a CPU second buys less work) does not fail a linear step, and far below
# what any quadratic one costs.
STEP_MS = 500
WEBHOOK_MS = 50
SECRET = "inbound-secret-for-tests"
NO_DEADLINE = 1e9  # the steps must be fast by themselves, not because the budget cut them short


def cpu_ms(step) -> float:
    """The least CPU time of three runs of a step by this thread, in milliseconds (one GC pause is not
    the step's, nor is the CPU of the suite's other threads: a live server's, a worker's appliers)."""
    best = float("inf")
    for _ in range(3):
        started = time.thread_time()
        step()
        best = min(best, 1000 * (time.thread_time() - started))
    return best


def _form(field: str, value: str) -> dict[str, str]:
    return {"from": "ada@example.com", "headers": "Message-ID: <hostile@example.com>\n", field: value}


@pytest.mark.parametrize("html", list(HTML_SHAPES.values()), ids=list(HTML_SHAPES))
def test_each_hostile_html_shape_is_read_in_bounded_time(html):
    assert cpu_ms(lambda: intake(_form("html", html))) < STEP_MS
    assert cpu_ms(lambda: html_to_text(html)) < STEP_MS
    assert cpu_ms(lambda: parse_inbound(_form("html", html), budget=Budget(NO_DEADLINE))) < STEP_MS


@pytest.mark.parametrize("text", list(TEXT_SHAPES.values()), ids=list(TEXT_SHAPES))
def test_each_hostile_text_shape_is_read_in_bounded_time(text):
    assert cpu_ms(lambda: intake(_form("text", text))) < STEP_MS
    assert cpu_ms(lambda: visible_reply(text, Budget(NO_DEADLINE))) < STEP_MS
    assert cpu_ms(lambda: parse_inbound(_form("text", text), budget=Budget(NO_DEADLINE))) < STEP_MS
    raw = "From: ada@example.com\nMessage-ID: <raw@example.com>\n\n" + text
    assert cpu_ms(lambda: parse_inbound({"email": raw}, budget=Budget(NO_DEADLINE))) < STEP_MS


@pytest.mark.parametrize("text", list(TEXT_SHAPES.values()), ids=list(TEXT_SHAPES))
def test_a_raw_email_as_large_as_the_body_costs_the_webhook_no_more(text):
    """A "Send Raw" post's `email` may fill the 8 MB body: the webhook reads only its sender and id."""
    raw = "From: ada@example.com\nMessage-ID: <raw@example.com>\n\n" + text * 16
    assert len(raw) > 7_500_000
    assert cpu_ms(lambda: intake({"email": raw})) < WEBHOOK_MS


@pytest.mark.parametrize("text", list(TEXT_SHAPES.values()), ids=list(TEXT_SHAPES))
def test_each_hostile_text_shape_is_compared_with_choices_in_bounded_time(text):
    assert cpu_ms(lambda: plain(text)) < STEP_MS
    assert cpu_ms(lambda: parse_choice(text, ["Delegation", "Feedback", "Coaching"])) < STEP_MS
    assert cpu_ms(lambda: masked(text)) < STEP_MS  # a learner's answer as the cohort page shows it


@pytest.mark.parametrize("text", list(TEXT_SHAPES.values()), ids=list(TEXT_SHAPES))
def test_every_other_reader_of_learner_text_is_bounded_too(text):
    """Keywords, the in-request check, consent, the word cloud and link finding read texts and replies too."""
    assert cpu_ms(lambda: classify_keyword(text)) < STEP_MS
    assert cpu_ms(lambda: routed_in_request(text, ["JOIN42"])) < STEP_MS
    assert cpu_ms(lambda: consent_answer(text, "es")) < STEP_MS
    assert cpu_ms(lambda: words_of(text, "en")) < STEP_MS
    assert cpu_ms(lambda: learners_urls([text, "see http://" + text])) < STEP_MS


def test_addresses_and_numbers_are_still_hidden_on_the_cohort_page():
    assert masked("Write to ana.souza+x@example.co.uk or +44 20 7946 0958.") == "Write to [hidden] or [hidden]."


def test_the_findings_own_shapes_are_fast_and_keep_their_text():
    """The three measured in the finding: 21 s, 30 s and 15 s before."""
    anchors = "<a " * (FIELD_MAX // 3)
    assert cpu_ms(lambda: html_to_text(anchors)) < STEP_MS
    signature = "hello:" + " " * (FIELD_MAX - 7) + "x"
    assert visible_reply(signature).startswith("hello:")
    noise = "a" + "!" * 30000 + "a" + "!" * 30000 + "a"
    assert plain(noise) == noise and cpu_ms(lambda: plain(noise)) < STEP_MS


def test_past_its_budget_a_parse_keeps_the_raw_text():
    ticks = iter(range(1000))
    spent_at_once = Budget(0.5, clock=lambda: next(ticks))  # every reading of this clock is a second later
    form = inbound_parse_form(text="My answer.\n\nOn Tue, Ada <a@example.com> wrote:\n> the question")
    email = parse_inbound(form, budget=spent_at_once)
    assert email.text == form["text"]  # nothing lost: the quote stays too, the trainer reads past it


def test_the_largest_field_is_what_the_webhook_accepts(app, client):
    app.config["SENDGRID_INBOUND_SECRET"] = SECRET
    form = inbound_parse_form(text="x" * (FIELD_MAX + 1))
    response = client.post(f"{EMAIL_PATH}?token={SECRET}", data=form, content_type="multipart/form-data")
    assert response.status_code == 413


def _post_timed(app, form: dict[str, str]) -> float:
    """Post an Inbound Parse form through the whole WSGI app; the server's CPU time in milliseconds."""
    # The multipart body is encoded before the clock starts: only the server's work is timed.
    environ = EnvironBuilder(
        path=EMAIL_PATH, method="POST", query_string={"token": SECRET}, data=form, content_type="multipart/form-data"
    ).get_environ()
    # CPU time: eight engineers' test runs share two cores, and waiting for a core is not the webhook's work.
    started = time.thread_time()
    body, status, _ = run_wsgi_app(app, environ, buffered=True)
    elapsed = 1000 * (time.thread_time() - started)
    assert status.startswith("200") and b'"stored":true' in b"".join(body)
    return elapsed


@pytest.mark.parametrize(
    "field,value",
    [("html", HTML_SHAPES["unclosed anchors"]), ("text", TEXT_SHAPES["a signature run of spaces"])],
    ids=["unclosed anchors", "a signature run of spaces"],
)
def test_the_webhook_stores_a_hostile_email_unparsed_and_a_worker_routes_it(app, field, value):
    app.config["SENDGRID_INBOUND_SECRET"] = SECRET
    session = app.extensions["sqlalchemy"].session
    web_ms, worker_s = [], []
    for attempt in range(3):  # the best of three: a busy machine slows a run down, never speeds it up
        form = inbound_parse_form(text="", message_id=f"<hostile-{attempt}@example.com>") | {field: value}
        web_ms.append(_post_timed(app, form))
        receipt = session.scalar(select(InboundReceipt).order_by(InboundReceipt.id.desc()))
        assert receipt.payload["form"]["from"] == form["from"]  # stored as posted, cut to what a parse reads
        assert session.scalar(select(InboundMessage).filter_by(provider_message_id=receipt.provider_message_id)) is None
        started = time.perf_counter()
        assert drain() == 1  # what a worker does next
        worker_s.append(time.perf_counter() - started)
        routed = session.scalar(
            select(InboundMessage).filter_by(provider_message_id=f"<hostile-{attempt}@example.com>")
        )
        assert routed is not None and routed.from_address == "ada@example.com"
    assert min(web_ms) < WEBHOOK_MS, web_ms
    assert min(worker_s) < 1.0, worker_s  # routed by a worker in under a second (the best of three, as above)
