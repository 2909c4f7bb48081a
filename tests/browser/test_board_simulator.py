"""The whole loop without Twilio: answer as a learner in the phone simulator, see it on the board."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.browser.test_board import live, streams  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def test_a_simulated_text_reaches_the_board_and_the_phone_gets_the_acknowledgement(
    app, page, live_server, live, streams
):  # noqa: F811
    sign_in(page, live_server)
    page.goto(f"{live_server}/sessions/{live.id}/board")
    expect(page.locator("#connection")).to_have_text("Up to date")
    phone_page = page.context.new_page()
    phone_page.goto(f"{live_server}/simulator")
    phone = phone_page.locator('[data-number="+14155550101"]')
    phone.get_by_placeholder("Text message").fill("Does this work from the simulator?")
    phone.get_by_role("button", name="Send").click()
    phone = phone_page.locator('[data-number="+14155550101"]')
    expect(phone.locator(".bubble-out")).to_have_text("Does this work from the simulator?")
    expect(phone.locator(".bubble-in").last).to_have_text("Thanks, your question is on the board.")
    expect(page.locator(".question-card", has_text="Does this work from the simulator?")).to_contain_text(
        "Ada Lovelace"
    )
    phone_page.close()
