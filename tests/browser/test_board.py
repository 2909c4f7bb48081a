"""The live board in a real browser: a signed SMS reaches the screen within a second; text stays text."""

from __future__ import annotations

import re
import time

import pytest
import requests
from playwright.sync_api import expect

from drip.services.board import stream as board_stream
from tests.browser.conftest import sign_in
from tests.support.inbound_factory import SMS_PATH, enrol, make_learner, make_session, sms_form, twilio_signature

pytestmark = pytest.mark.browser
XSS = "<script>alert(1)</script>"
STREAM_OPEN = re.compile(r"\bconnection-live\b")


@pytest.fixture()
def streams(app):
    """End the board's event streams before the app goes away (the browser would hold them open)."""
    yield
    board_stream.stop_all()
    deadline = time.monotonic() + 5
    while board_stream.slots.active and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.fixture()
def live(app, trainer):
    ts = make_session(trainer, join_keyword="SBI")
    ts.moderation = "open"  # questions straight to the projector; the approve-first flow has its own test
    enrol(ts, make_learner(trainer, "Ada Lovelace"))
    return ts


def text(app, base_url: str, body: str, sender: str = "+14155550101") -> requests.Response:
    """What Twilio does: POST a signed form to the live server's webhook."""
    form = sms_form(body, sender)
    response = requests.post(
        base_url + SMS_PATH, data=form, timeout=5, headers={"X-Twilio-Signature": twilio_signature(app, form)}
    )
    assert response.status_code == 200
    return response


def open_board(page, base_url: str, ts, path: str = "board"):
    sign_in(page, base_url)
    page.goto(f"{base_url}/sessions/{ts.id}/{path}")
    expect(page.locator("#connection")).to_have_text("Up to date")


def test_a_texted_question_is_on_screen_within_a_second(app, page, live_server, live, streams):
    open_board(page, live_server, live)
    timings = []
    for number in range(3):
        body = f"How do I give feedback to my manager? ({number})"
        started = time.monotonic()
        text(app, live_server, body)
        expect(page.get_by_text(body)).to_be_visible(timeout=2000)
        timings.append(time.monotonic() - started)
    # About a second, as a trainer sees it: the middle of three under one, none past two (CI runs two
    # suites, their browsers and workers side by side on two cores: one text may wait its turn).
    assert sorted(timings)[1] < 1.0 and max(timings) < 2.0, timings
    expect(page.locator(".question-card").first).to_contain_text("Ada Lovelace")


def test_marks_change_the_board_and_the_projector(app, page, live_server, live, streams):
    open_board(page, live_server, live)
    projector = page.context.new_page()
    projector.goto(f"{live_server}/sessions/{live.id}/projector")
    expect(projector.locator("#connection")).to_have_class(STREAM_OPEN)  # hidden: the room sees the phase
    text(app, live_server, "Is silence feedback too?")
    expect(projector.get_by_text("Is silence feedback too?")).to_be_visible()
    expect(projector.get_by_text("Ada Lovelace")).to_have_count(0)
    page.bring_to_front()  # a background tab gets no animation frames, which clicks wait for
    card = page.locator(".question-card", has_text="Is silence feedback too?")
    card.get_by_role("button", name="Hide").click()
    expect(projector.get_by_text("Is silence feedback too?")).to_have_count(0)
    page.locator("[data-filter=hidden]").click()
    card.get_by_role("button", name="Show").click()
    page.locator("[data-filter=open]").click()
    card.get_by_role("button", name="Star").click()
    expect(card.get_by_role("button", name="Unstar")).to_be_visible()
    card.get_by_role("button", name="Answered").click()
    expect(page.get_by_text("Is silence feedback too?")).to_have_count(0)  # left the Open tab
    expect(projector.locator(".projector-question.is-answered")).to_have_count(1)
    projector.close()


def test_approved_only_projector_shows_only_approved_questions(app, page, live_server, live, streams):
    open_board(page, live_server, live)
    page.get_by_label("Once I approve them").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Board settings saved.")).to_be_visible()  # the board is back, with its script
    projector = page.context.new_page()
    projector.goto(f"{live_server}/sessions/{live.id}/projector")
    expect(projector.locator("#connection")).to_have_class(STREAM_OPEN)  # hidden: the room sees the phase
    text(app, live_server, "Waiting for approval")
    expect(page.get_by_text("Waiting for approval")).to_be_visible()
    page.bring_to_front()
    expect(projector.get_by_text("Waiting for approval")).to_have_count(0)
    card = page.locator(".question-card", has_text="Waiting for approval")
    expect(card).to_contain_text("waiting for your approval")
    card.focus()
    page.keyboard.press("a")  # one key approves the selected question
    expect(projector.get_by_text("Waiting for approval")).to_be_visible()
    text(app, live_server, "Second one")
    page.locator(".question-card", has_text="Second one").get_by_role("button", name="Approve").click()
    expect(projector.get_by_text("Second one")).to_be_visible()
    projector.close()


def test_learner_text_is_shown_as_text_on_board_and_projector(app, page, live_server, live, streams):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    open_board(page, live_server, live)
    text(app, live_server, XSS)
    expect(page.locator(".question-body", has_text=XSS)).to_be_visible()
    page.goto(f"{live_server}/sessions/{live.id}/projector")
    expect(page.locator(".question-body", has_text=XSS)).to_be_visible()
    page.reload()  # rendered from the page's snapshot rather than the stream
    expect(page.locator(".question-body", has_text=XSS)).to_be_visible()
    assert dialogs == []


def test_a_walk_in_texts_the_keyword_then_asks(app, page, live_server, live, streams):
    open_board(page, live_server, live)
    joined = text(app, live_server, "sbi", sender="+14155550177")
    assert "You&apos;re in" in joined.text or "You're in" in joined.text
    text(app, live_server, "Can walk-ins ask too?", sender="+14155550177")
    expect(page.locator(".question-card", has_text="Can walk-ins ask too?")).to_contain_text("Walk-in ···0177")


def test_when_streams_are_refused_the_board_still_catches_up(app, page, live_server, live, streams):
    app.config["BOARD_STREAMS_PER_PROCESS"] = 0  # every stream gets 503: the page falls back to fetching
    sign_in(page, live_server)
    page.goto(f"{live_server}/sessions/{live.id}/board")
    expect(page.locator("#connection")).to_have_text("Reconnecting…")
    text(app, live_server, "Anyone there?")
    expect(page.get_by_text("Anyone there?")).to_be_visible(timeout=8000)
