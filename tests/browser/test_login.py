"""A trainer signs in through the real login page."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_trainer_signs_in_and_out(page, live_server, trainer):
    page.goto(f"{live_server}/")
    expect(page).to_have_url(f"{live_server}/login?next=/")
    sign_in(page, live_server)
    expect(page.get_by_role("heading", name="Hello Tess Trainer")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()


def test_wrong_password_shows_a_clear_error(page, live_server, trainer):
    sign_in(page, live_server, password="nope nope nope")
    expect(page.get_by_text("That email and password do not match.")).to_be_visible()
