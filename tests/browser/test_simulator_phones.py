"""The phone simulator as a trainer sees it: every phone listed, STOP and START answered, an email answered."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from drip.extensions import db
from drip.models import Reply
from tests.browser.conftest import sign_in
from tests.security.test_simulator import _emailed as emailed_step
from tests.support.inbound_factory import make_learner

pytestmark = pytest.mark.browser


def test_every_phone_stop_start_and_an_email_answer(app, page, live_server, trainer):
    for n in range(12):
        make_learner(trainer, f"Learner {n:02}", phone=f"+1415555{n:04}")
    emailed_step(trainer)
    sign_in(page, live_server)
    page.goto(f"{live_server}/simulator")
    page.locator("#all-phones summary").click()
    expect(page.locator("#all-phones li")).to_have_count(12)

    page.fill("#walk-in-number", "+14155550011")
    page.fill("#walk-in-body", "STOP")
    page.locator("#walk-in-body").press("Enter")
    phone = page.locator('[data-number="+14155550011"]')
    expect(phone.locator(".bubble-in").last).to_contain_text("successfully been unsubscribed")
    phone.get_by_placeholder("Text message").fill("START")
    phone.get_by_role("button", name="Send").click()
    phone = page.locator('[data-number="+14155550011"]')
    expect(phone.locator(".bubble-in").last).to_contain_text("re-subscribed")
    page.locator("#all-phones summary").click()
    expect(page.locator("#all-phones li")).to_have_count(12)  # a phone that said STOP stays listed

    page.fill("#email-body", "Went well with my team")
    page.locator("#email-reply").get_by_role("button", name="Reply", exact=True).click()
    expect(page.get_by_text("filed as practice report")).to_be_visible()
    assert db.session.query(Reply).one().body == "Went well with my team"

    # A whole reply as Gmail writes it: typed on top of the quoted email, and only that is kept.
    page.locator("#email-reply").get_by_role("button", name="Reply as Gmail would").click()
    expect(page.locator("#email-body")).to_have_value(re.compile(r"^\n\nOn .* wrote:\n\n> Try it"))
    page.locator("#email-body").press("Control+Home")
    page.keyboard.type("Second try went better.")
    page.locator("#email-reply").get_by_role("button", name="Reply", exact=True).click()
    expect(page.locator("#email-reply pre")).to_have_text("Second try went better.")
