"""What a trainer sees on the session and learners pages: Cancel asks first; 2,000 learners page and search."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from drip.extensions import db
from drip.models import TrainingSession
from drip.services.learners.upsert import LearnerInput, upsert_learners
from tests.browser.conftest import sign_in
from tests.web.test_api_support import stored_sequence, stored_session

pytestmark = pytest.mark.browser


def test_cancel_session_asks_for_confirmation_first(app, trainer, page, live_server):
    ts = stored_session(trainer, sequences=[stored_sequence(trainer)])
    errors, dialogs = [], []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, live_server)
    page.goto(f"{live_server}/sessions/{ts.id}")
    page.get_by_label("Cancel this session: no pending message will be sent").check()
    page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Cancel session").click()
    expect(page.get_by_role("button", name="Cancel session")).to_be_visible()
    assert dialogs and "Cancel this session?" in dialogs[0] and not errors  # no "confirm is not a function"
    db.session.expire_all()
    assert db.session.get(TrainingSession, ts.id).status == "scheduled"  # dismissed: nothing changed
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Cancel session").click()
    expect(page.get_by_text(re.compile(r"Cancelled\. \d+ pending messages? will not be sent"))).to_be_visible()
    db.session.expire_all()
    assert db.session.get(TrainingSession, ts.id).status == "cancelled"


def test_two_thousand_learners_on_a_phone_a_compact_pager_and_search(app, trainer, page, live_server):
    upsert_learners(trainer, [LearnerInput(f"Learner {i:04d}", f"+1201555{i:04d}") for i in range(2000)])
    db.session.commit()
    page.set_viewport_size({"width": 375, "height": 740})
    sign_in(page, live_server)
    page.goto(f"{live_server}/learners?page=20")
    pager = page.get_by_role("navigation", name="Learner pages")
    expect(pager.get_by_role("link", name="40")).to_be_visible()  # the last page is one tap away
    assert pager.locator(".page-item").count() <= 11
    assert page.evaluate("document.documentElement.scrollWidth") <= 376
    page.get_by_role("searchbox", name="Search learners").fill("555-1234")
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="Learner 1234")).to_be_visible()
    expect(page.get_by_text("(1)")).to_be_visible()


@pytest.mark.parametrize("width", [1280, 1024, 800])
def test_the_menu_stays_on_one_line_with_a_long_address(app, page, live_server, width):
    from drip.services import accounts

    email = "tess.trainer-learning-and-development@long-company-name.example.com"
    accounts.create_trainer(email, "correct horse battery", "Tess Trainer")
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, live_server, email=email)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    rows = """() => {
        const middles = [...document.querySelectorAll("nav .nav-link, nav .btn")].map(n => {
            const r = n.getBoundingClientRect(); return Math.round(r.y + r.height / 2); });
        return Math.max(...middles) - Math.min(...middles) < 6 ? null : middles;
    }"""
    # Once the page has settled (on a loaded machine the first layout can come before the last style or
    # script): one row, every link on the same line. A menu that stays on two rows fails with its rows.
    try:
        page.wait_for_function(f"() => ({rows})() === null", timeout=5_000)
    except PlaywrightTimeout:
        pytest.fail(f"the menu is on more than one row: {page.evaluate(rows)}")
    assert page.locator(".nav-account").get_attribute("title") == email
