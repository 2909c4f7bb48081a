"""The projector in a room: the number to text, the session's phase instead of the socket's, and honest recovery."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from drip.models import utcnow
from tests.browser.conftest import sign_in
from tests.browser.test_board import STREAM_OPEN, streams, text  # noqa: F401  (fixture)
from tests.support.inbound_factory import enrol, make_learner, make_session

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 720)])
def test_live_projector_shows_the_number_and_keyword_large_and_no_live_badge(
    app, trainer, page, live_server, streams, size
):  # noqa: F811
    ts = make_session(trainer, join_keyword="SBI")
    page.set_viewport_size({"width": size[0], "height": size[1]})
    sign_in(page, live_server)
    page.goto(f"{live_server}/sessions/{ts.id}/projector")
    number = page.get_by_test_id("sms-number")
    expect(number).to_have_text("+1 500-555-0006")
    assert number.evaluate("n => parseFloat(getComputedStyle(n).fontSize)") >= 48  # readable from the back
    expect(page.locator(".projector-keyword")).to_contain_text("Text SBI first")
    expect(page.locator("#phase")).to_have_text("Questions are open")
    expect(page.locator("#connection")).to_have_class(STREAM_OPEN)
    expect(page.locator("#connection")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= size[0]


def test_projector_before_and_after_the_session(app, trainer, page, live_server, streams):  # noqa: F811
    soon = make_session(trainer, starts_at=utcnow() + timedelta(days=1), timezone="UTC", title="Tomorrow")
    done = make_session(trainer, starts_at=utcnow() - timedelta(hours=5), title="Earlier")
    sign_in(page, live_server)
    page.goto(f"{live_server}/sessions/{soon.id}/projector")
    opens = (soon.starts_at - timedelta(minutes=15)).strftime("%H:%M")
    expect(page.locator("#phase")).to_contain_text(f"Questions open at {opens}")
    page.goto(f"{live_server}/sessions/{done.id}/projector")
    expect(page.locator("#phase")).to_have_text("This session has ended")
    expect(page.locator("#ask")).to_be_hidden()  # no more invitations to text
    expect(page.get_by_text("Thank you for your questions.")).to_be_visible()


def test_a_stream_that_never_opens_falls_back_to_refreshing_and_says_so(app, trainer, page, live_server, streams):  # noqa: F811
    ts = make_session(trainer)
    enrol(ts, make_learner(trainer, "Ada Lovelace"))
    # Like the browser's per-site connection limit: the stream request just hangs.
    page.route("**/board/events*", lambda route: None)
    sign_in(page, live_server)
    page.goto(f"{live_server}/sessions/{ts.id}/board")
    text(app, live_server, "Can you hear me at the back?")
    expect(page.locator("#connection")).to_contain_text("refreshing every 10 s", timeout=12_000)
    expect(page.get_by_text("Can you hear me at the back?")).to_be_visible(timeout=5_000)
