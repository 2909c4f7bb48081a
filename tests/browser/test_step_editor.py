"""The step editor in Chromium: the one counter and the preview follow typing, buttons insert variables."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from drip.services.programs.sequences import StepInput, create_sequence
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_typing_updates_the_preview_and_the_one_counter(app, trainer, page, live_server):
    sequence = create_sequence(trainer, name="Typed", steps=[StepInput("reminder", "sms", "start", "-P1D", "Hi")])
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, live_server)
    page.goto(f"{live_server}/sequences/{sequence.id}/steps/{sequence.steps[0].id}")
    body = page.locator("#body")
    body.fill("See you ")
    body.press("End")
    page.get_by_role("button", name="Starts in…").click()
    expect(body).to_have_value("See you {{ session.starts_in }}")
    expect(page.locator("[data-preview-body]")).to_have_text("See you tomorrow at 09:30")
    expect(page.locator("[data-preview-count]")).to_have_text("25 characters · 1 segment · GSM-7")
    body.fill("Hi {{ first_name")
    expect(page.locator("[data-preview-problem]")).to_contain_text("`{{ first_name` is not closed")
    body.fill("x" * 170)
    expect(page.locator("[data-preview-count]")).to_have_text("170 characters · 2 segments · GSM-7")
    assert errors == []
