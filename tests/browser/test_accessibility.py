"""Every page a person uses, in a real browser: no serious or critical axe-core violation, and readable at
375 px wide (nothing wider than the phone). Seeded like a trainer's real admin: the demo, replies, questions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from drip.extensions import db
from drip.models import Learner, LiveQuestion, OutboxMessage, Reply, Sequence, Step, TrainingSession
from drip.services.programs.demo import DEMO_EMAIL, DEMO_SEQUENCE, DEMO_SESSION, demo_password, seed
from tests.browser.a11y import axe_source, describe, violations
from tests.browser.conftest import sign_in
from tests.browser.test_board import streams  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser


# The innermost elements reaching past the viewport, to say what makes a page too wide.
WIDEST = """width => Array.from(document.querySelectorAll('body *'))
  .filter(e => e.getBoundingClientRect().right > width + 1 && !Array.from(e.children).some(c => c.getBoundingClientRect().right > width + 1))
  .slice(0, 4).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + '.' + Array.from(e.classList).join('.') + ' ' + Math.round(e.getBoundingClientRect().right))"""


@pytest.fixture()
def admin(app):
    """The demo, plus a reply, a live question and an email in the outbox; returns the pages to visit."""
    list(seed())
    ts = db.session.query(TrainingSession).filter_by(title=DEMO_SESSION).one()
    sequence = db.session.query(Sequence).filter_by(name=DEMO_SEQUENCE).one()
    step = db.session.query(Step).filter_by(sequence_id=sequence.id, kind="practice").first()
    learner = db.session.query(Learner).first()
    db.session.add_all(
        [
            Reply(
                trainer_id=ts.trainer_id,
                session_id=ts.id,
                learner_id=learner.id,
                step_id=step.id,
                kind="practice_report",
                channel="email",
                body="I tried the SBI model with my team <b>and</b> it worked.",
            ),
            LiveQuestion(session_id=ts.id, learner_id=learner.id, body="How do I give feedback upwards?"),
            OutboxMessage(
                trainer_id=ts.trainer_id,
                channel="email",
                to_address=learner.email,
                subject="Practice",
                body="Hi Maya",
                html="<p>Hi Maya</p>",
                provider_message_id="OB-a11y",
            ),
        ]
    )
    db.session.commit()
    return {
        "sign in": "/login",
        "dashboard": "/",
        "sequences": "/sequences",
        "sequence": f"/sequences/{sequence.id}",
        "step editor": f"/sequences/{sequence.id}/steps/{step.id}",
        "new step": f"/sequences/{sequence.id}/steps/new",
        "sessions": "/sessions",
        "new session": "/sessions/new",
        "session": f"/sessions/{ts.id}",
        "edit session": f"/sessions/{ts.id}/edit",
        "board": f"/sessions/{ts.id}/board",
        "projector": f"/sessions/{ts.id}/projector",
        "replies": f"/sessions/{ts.id}/replies",
        "learners": "/learners",
        "learner": f"/learners/{learner.id}",
        "edit learner": f"/learners/{learner.id}/edit",
        "import": "/learners/import",
        "data requests": "/learners/audit",
        "archive": "/archive",
        "account": "/account",
        "outbox": "/outbox",
        "media": "/media",
        "simulator": "/simulator",
        "settings": "/settings/",
        "unsubscribe": f"/u/{learner.unsubscribe_token}",
        "not found": "/sessions/999999",
    }


@pytest.mark.parametrize("width, height", [(1280, 800), (375, 740)])
def test_every_page_has_no_serious_axe_violation_and_fits_the_screen(
    app,
    page,
    live_server,
    admin,
    streams,  # noqa: F811
    width,
    height,
):
    source = axe_source()
    page.set_viewport_size({"width": width, "height": height})
    page.goto(live_server + "/login")
    found = {"sign in": violations(page, source)}
    sign_in(page, live_server, DEMO_EMAIL, demo_password(Path(app.config["INSTANCE_PATH"])))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    too_wide = {}
    for name, path in admin.items():
        if name == "sign in":
            continue
        page.goto(live_server + path)
        found[name] = violations(page, source)
        overflow = page.evaluate("document.documentElement.scrollWidth")
        if overflow > width + 1:
            too_wide[name] = (overflow, page.evaluate(WIDEST, width))
    bad = {name: v for name, v in found.items() if v}
    assert not bad, "\n".join(f"{name} ({admin[name]}):\n{describe(v)}" for name, v in bad.items())
    assert not too_wide, f"pages wider than {width}px: {too_wide}"


def test_the_csv_preview_and_the_board_by_keyboard(app, page, live_server, admin, streams, tmp_path):  # noqa: F811
    source = axe_source()
    sign_in(page, live_server, DEMO_EMAIL, demo_password(Path(app.config["INSTANCE_PATH"])))
    upload = tmp_path / "learners.csv"
    upload.write_text("name,phone,email\nAda Lovelace,+1 415 555 0101,ada@example.com\nNo Contact,,\n")
    page.goto(live_server + "/learners/import")
    page.set_input_files("input[type=file]", str(upload))
    with page.expect_navigation():  # loaded, stylesheets included, before axe measures its colours
        page.get_by_role("button", name=re.compile("preview", re.I)).click()
    expect(page.get_by_text("No Contact")).to_be_visible()
    assert not (found := violations(page, source)), describe(found)
    # Star, answer and hide a question without a mouse: Tab to the buttons, Enter or Space.
    page.goto(live_server + admin["board"])
    card = page.locator(".question-card", has_text="How do I give feedback upwards?")
    card.get_by_role("button", name="Star").focus()
    page.keyboard.press("Enter")
    expect(card.get_by_role("button", name="Unstar")).to_be_visible()
    page.keyboard.press("Tab")  # on to the next action of the same card
    expect(card.get_by_role("button", name="Approve")).to_be_focused()
    card.get_by_role("button", name="Answered").focus()
    page.keyboard.press("Space")
    expect(page.locator(".question-card", has_text="How do I give feedback upwards?")).to_have_count(0)  # left "Open"
    # The filter tab (the demo's other question keeps its own "Answered" button on the board).
    page.locator('[data-filter="answered"]').focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Reopen")).to_be_visible()
    # Answered and hidden cards are marked without fading their text (axe: colour contrast). axe reads
    # the steady state: a filter button caught mid-transition has colours between two themes.
    page.add_style_tag(content="*, *::before, *::after { transition: none !important; }")
    answered = page.locator(".question-card.is-answered", has_text="How do I give feedback upwards?")
    expect(answered).to_have_css("opacity", "1")
    assert not (found := violations(page, source)), describe(found)
    answered.get_by_role("button", name="Hide").click()
    page.get_by_role("button", name=re.compile("^Hidden")).click()
    expect(page.locator(".question-card.is-hidden", has_text="How do I give feedback upwards?")).to_have_css(
        "opacity", "1"
    )
    assert not (found := violations(page, source)), describe(found)
