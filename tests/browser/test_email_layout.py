"""Email that looks cared for: the one responsive layout, seen in the outbox preview at phone and desktop widths."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from drip.domain.messages import email_message
from drip.extensions import db
from drip.models import OutboxMessage
from tests.browser.a11y import axe_source, describe, violations
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser
TEXT = (
    "Hi Maya,\n\nThank you for taking part in Giving feedback that lands. Here is one small assignment "
    "for this week: https://example.com/a-rather-long-link/to/the/practice/worksheet?for=maya\n\nDana"
)


@pytest.fixture()
def email(app, trainer):
    message = email_message(
        delivery_id=None,
        to="maya@example.com",
        subject="Your practice assignment",
        text=TEXT,
        unsubscribe_token="tok",
        reply_token=None,
        config=app.config,
    )
    db.session.add(
        OutboxMessage(
            trainer_id=trainer.id,
            channel="email",
            to_address=message.to,
            subject=message.subject,
            body=message.body,
            html=message.html,
            provider_message_id="OB-layout",
        )
    )
    db.session.commit()
    return message


@pytest.mark.parametrize("width", [375, 1280])
def test_the_email_reads_well_on_a_phone_and_a_desktop(app, page, live_server, email, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server)
    page.goto(f"{live_server}/outbox")
    page.get_by_text("Show the email as HTML").click()
    frame = page.frame_locator("iframe[title^=Email]")
    card = frame.locator(".drip-card")
    expect(card).to_contain_text("Thank you for taking part")
    box = card.bounding_box()
    iframe_box = page.locator("iframe[title^=Email]").bounding_box()
    assert box["width"] <= min(600, iframe_box["width"]) + 1  # a column, never wider than the screen
    size = card.evaluate("n => parseFloat(getComputedStyle(n).fontSize)")
    assert size >= 16
    scroll = frame.locator("html").evaluate("n => n.scrollWidth - n.clientWidth")
    assert scroll <= 1  # a long link wraps rather than widening the email
    expect(frame.get_by_role("link", name="unsubscribe")).to_be_visible()


def test_the_email_html_has_no_serious_accessibility_problem(page, email):
    page.set_content(email.html)
    assert not (found := violations(page, axe_source())), describe(found)
    assert "Your practice assignment" == page.title()
