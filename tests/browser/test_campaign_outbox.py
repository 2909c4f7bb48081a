"""The outbox page shows new messages by itself, and email HTML stays inside a sandboxed frame."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from drip.extensions import db
from drip.models import OutboxMessage
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def _record(trainer, channel, body, n, **fields):
    db.session.add(
        OutboxMessage(
            trainer_id=trainer.id,
            channel=channel,
            body=body,
            provider_message_id=f"OBbrowser{n}",
            to_address="+12015550123" if channel == "sms" else "ana@example.com",
            **fields,
        )
    )
    db.session.commit()


def test_outbox_refreshes_itself(page, live_server, trainer):
    _record(
        trainer,
        "email",
        "Plain text part",
        1,
        subject="Your practice",
        html="<p id='inside'>Hello from HTML</p><script>parent.document.title='pwned'</script>",
    )
    sign_in(page, live_server)
    page.goto(f"{live_server}/outbox")
    expect(page.get_by_text("Plain text part")).to_be_visible()
    page.get_by_text("Show the email as HTML").click()
    frame = page.frame_locator("iframe[title='Email 1']")
    expect(frame.locator("#inside")).to_have_text("Hello from HTML")
    assert page.title() != "pwned"

    _record(trainer, "sms", "A new text arrived", 2)
    expect(page.get_by_text("A new text arrived")).to_be_visible(timeout=10_000)  # no reload: the page polls
    expect(page.locator("details[open]")).to_have_count(1)  # the open preview stayed open
    assert page.title() != "pwned"
