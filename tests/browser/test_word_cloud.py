"""The word cloud of an open poll on the projector, redrawn as texts arrive."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from drip.extensions import db
from drip.models import session_sequences
from tests.browser.test_board import open_board, streams, text  # noqa: F401  (fixture)
from tests.support.inbound_factory import enrol, make_learner, make_session, make_step

pytestmark = pytest.mark.browser


def test_texts_grow_the_word_cloud_within_a_second(app, trainer, page, live_server, streams):  # noqa: F811
    ts = make_session(trainer)
    poll = make_step(trainer, "poll", body="One word for today?")
    db.session.execute(session_sequences.insert(), [{"session_id": ts.id, "sequence_id": poll.sequence_id}])
    ts.projector_poll_step_id = poll.id
    db.session.commit()
    phones = [f"+1415555030{n}" for n in range(4)]
    enrol(ts, *[make_learner(trainer, f"Learner{n} Doe", phone=phone) for n, phone in enumerate(phones)])
    page.set_viewport_size({"width": 1280, "height": 720})
    open_board(page, live_server, ts, "projector")
    expect(page.locator("#polls .poll-how")).to_have_text("Text your answer in a few words")
    words = page.locator("#polls .cloud-word")
    for n, body in enumerate(["Practice", "practice with the team", "Feedback practice", "the feedback"]):
        started = time.monotonic()
        text(app, live_server, body, sender=phones[n])
        expect(page.locator("#polls .cloud-word[data-count]").first).to_have_text("practice", timeout=3_000)
        expect(page.locator("#polls .poll-summary")).to_contain_text(f"{n + 1} learner", timeout=3_000)
        assert time.monotonic() - started < 2.5  # the webhook, the worker's routing and the redraw, on a busy machine
    expect(words).to_have_text(["practice", "feedback", "team"])
    expect(page.locator('#polls .cloud-word[data-count="3"]')).to_have_text("practice")
    assert page.evaluate("document.documentElement.scrollHeight") <= 720  # fits the room's screen
