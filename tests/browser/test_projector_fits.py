"""The projector fits the screens rooms have (issue 22, item 7): at 1024x768, 1280x720 and 1920x1080 a
question wall and a 6-choice poll show without scrolling and no visible element leaves the screen."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from drip.extensions import db
from drip.models import LiveQuestion, Reply, utcnow
from drip.services.board import polls as live_polls
from tests.browser.conftest import sign_in
from tests.browser.test_board import STREAM_OPEN, streams  # noqa: F401  (fixture)
from tests.support.inbound_factory import enrol, make_learner, session_with_steps, sms_step

pytestmark = pytest.mark.browser
SCREENS = [(1024, 768), (1280, 720), (1920, 1080)]
CHOICES = [
    "Ask before telling",
    "Describe the impact on the team, not the person",
    "Agree a next step",
    "Follow up within a week",
    "Say thank you first",
    "Listen until they have finished, then summarise what you heard",
]
# Every element drawn on the screen, with its box: none may reach past the viewport.
OUTSIDE = """() => {
  const w = window.innerWidth, h = window.innerHeight, out = [];
  for (const el of document.body.querySelectorAll("*")) {
    const style = getComputedStyle(el);
    if (style.display === "none" || style.visibility === "hidden" || el.closest("[hidden], .visually-hidden, template")) continue;
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height) continue;
    if (r.left < -1 || r.top < -1 || r.right > w + 1 || r.bottom > h + 1)
      out.push(`${el.tagName}.${el.className} ${Math.round(r.top)}-${Math.round(r.bottom)} of ${h}`);
  }
  const page = document.scrollingElement;
  if (page.scrollHeight > h + 1 || page.scrollWidth > w + 1) out.push(`page ${page.scrollWidth}x${page.scrollHeight}`);
  return out;
}"""


@pytest.fixture()
def room(app, trainer):
    poll = sms_step("poll", "PT20M", "Which will you try first this week?\n{{ choices }}", choices=CHOICES)
    ts = session_with_steps(
        trainer, [poll], starts_at=utcnow() - timedelta(minutes=25), title="Giving feedback that lands, part two"
    )
    ts.join_keyword, ts.moderation = "SBI", "open"
    learners = [make_learner(trainer, f"Learner {n}", phone=f"+1415555{n:04d}") for n in range(12)]
    enrol(ts, *learners)
    for n, learner in enumerate(learners):
        body = "How do I give feedback to someone more senior than me without it sounding like a complaint?"
        db.session.add(LiveQuestion(session_id=ts.id, learner_id=learner.id, body=body if n % 3 else f"Question {n}?"))
        db.session.add(
            Reply(
                trainer_id=trainer.id,
                session_id=ts.id,
                learner_id=learner.id,
                step_id=poll.id,
                kind="poll_vote",
                channel="sms",
                body=str(n % 6 + 1),
                choice_index=n % 6,
            )
        )
    db.session.commit()
    return ts, poll


def font_size(page, selector):
    """The font size of the first match, found and measured in one step: a redraw between the two would
    measure a node already taken off the page."""
    return page.evaluate("s => parseFloat(getComputedStyle(document.querySelector(s)).fontSize)", selector)


@pytest.mark.parametrize("size", SCREENS, ids=[f"{w}x{h}" for w, h in SCREENS])
def test_a_question_wall_and_a_six_choice_poll_fit_the_screen(app, page, live_server, room, streams, size):  # noqa: F811
    ts, poll = room
    page.set_viewport_size({"width": size[0], "height": size[1]})
    sign_in(page, live_server)
    page.goto(f"{live_server}/sessions/{ts.id}/projector")
    expect(page.locator("#connection")).to_have_class(STREAM_OPEN)
    expect(page.locator(".projector-question").first).to_be_visible()
    expect(page.locator("#more")).to_contain_text("more question")  # twelve do not fit: the rest are counted
    assert page.evaluate(OUTSIDE) == []
    assert font_size(page, ".projector-question:not([hidden])") >= 0.044 * size[1] - 0.5

    live_polls.show_on_projector(ts, poll.id)
    page.reload()
    expect(page.locator("#polls .tally-row")).to_have_count(6)
    expect(page.locator("#polls .poll-summary")).to_be_visible()
    expect(page.locator("body")).to_have_class(re.compile(r"\bhas-content\b"))  # the first fit has run
    assert page.evaluate(OUTSIDE) == []
    assert font_size(page, "#polls .tally-label") >= min(0.036 * size[1], 35.2) - 0.5
