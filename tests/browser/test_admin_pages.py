"""What a trainer sees on the admin pages: Cancel asks first; 2,000 learners page and search; a menu that fits."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from drip.extensions import db
from drip.models import TrainingSession
from drip.services.learners.upsert import LearnerInput, upsert_learners
from tests.browser.a11y import axe_source, describe, violations
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


LONG_ADDRESS = "tess.trainer-learning-and-development@long-company-name.example.com"

# Where the menu's links and buttons are against its container: how many rows they make and which of them
# stick out of it (a row that does not fit pushes Sign out past the container's edge).
MENU = """() => {
    const box = document.querySelector("nav .container").getBoundingClientRect();
    const items = [...document.querySelectorAll("nav .nav-link, nav .btn")].filter(n => n.offsetParent).map(n => {
        const r = n.getBoundingClientRect();
        return {text: n.textContent.trim().slice(0, 20), middle: Math.round(r.y + r.height / 2),
                left: Math.round(r.left), right: Math.round(r.right)};
    });
    const middles = items.map(i => i.middle);
    return {rows: Math.max(...middles) - Math.min(...middles) < 6 ? 1 : "several",
            outside: items.filter(i => i.left < box.left - 1 || i.right > box.right + 1),
            container: [Math.round(box.left), Math.round(box.right)], items};
}"""


def menu_settles(page, *, rows):
    """Wait (with a deadline) until every item of the menu is inside its container on the expected rows.

    On a loaded machine the first layout can come before the last style or script; a menu that never
    fits fails with what it looked like.
    """
    wanted = "1" if rows == 1 else '"several"'
    try:
        page.wait_for_function(
            f"() => {{ const m = ({MENU})(); return m.rows === {wanted} && !m.outside.length; }}", timeout=5_000
        )
    except PlaywrightTimeout:
        pytest.fail(f"the menu does not fit: {page.evaluate(MENU)}")


def sign_in_with_a_long_address(page, live_server, width, email=LONG_ADDRESS):
    """A trainer whose address is longer than the room the menu has, signed in at this width."""
    from drip.services import accounts

    accounts.create_trainer(email, "correct horse battery", "Tess Trainer")
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, live_server, email=email)


@pytest.mark.parametrize("email", [LONG_ADDRESS, "tess.trainer-learning@examplecompany.com"])
@pytest.mark.parametrize("width", [1920, 1280, 1200])
def test_the_menu_is_one_row_inside_its_container_with_a_long_address(app, page, live_server, width, email):
    sign_in_with_a_long_address(page, live_server, width, email)
    sign_out = page.get_by_role("button", name="Sign out")
    expect(sign_out).to_be_visible()
    menu_settles(page, rows=1)
    container = page.locator("nav .container").bounding_box()
    assert sign_out.bounding_box()["x"] + sign_out.bounding_box()["width"] <= container["x"] + container["width"] + 1
    # The address gave way, not the links: it is cut with an ellipsis and keeps its whole text as its name.
    account = page.get_by_role("link", name=email)
    assert account.get_attribute("title") == email
    assert account.evaluate("n => getComputedStyle(n).textOverflow") == "ellipsis"
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    if width == 1280:
        assert not (found := violations(page, axe_source())), describe(found)


@pytest.mark.parametrize("width", [1024, 800, 375])
def test_where_the_links_do_not_fit_in_a_row_the_menu_opens_as_a_column(app, page, live_server, width):
    sign_in_with_a_long_address(page, live_server, width)
    page.get_by_role("button", name="Menu").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    menu_settles(page, rows="several")
    assert page.get_by_role("link", name=LONG_ADDRESS).get_attribute("title") == LONG_ADDRESS
    assert page.evaluate("document.documentElement.scrollWidth") <= width
