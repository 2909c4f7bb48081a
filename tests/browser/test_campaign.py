"""A trainer builds a 3-step sequence, creates a session, imports learners (one bad row first), sees the timeline."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from drip.extensions import db
from drip.models import Delivery, Learner, TrainingSession
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser
SCREENSHOTS = os.environ.get("DRIP_SCREENSHOTS")  # a folder to keep screenshots in, when set

BAD_CSV = """name,phone,email,timezone
Ana Lima,+1 201 555 0123,ana@example.com,America/New_York
Ben Okafor,555-12,ben@example.com,
Chloé Martin,,chloe@example.com,Europe/Paris
"""
GOOD_CSV = BAD_CSV.replace("555-12", "(212) 555-0199")


def _add_step(page, *, amount, unit, direction, anchor, kind, channel, body, at="", subject=""):
    page.get_by_role("link", name="Add a step").first.click()
    page.fill("input[name=amount]", str(amount))
    page.select_option("select[name=unit]", unit)
    page.select_option("select[name=direction]", direction)
    page.select_option("select[name=anchor]", anchor)
    if at:
        page.fill("input[name=at]", at)
    page.select_option("select[name=kind]", kind)
    page.check(f"#channel-{channel}")
    if subject:
        page.fill("input[name=subject]", subject)
    page.fill("textarea[name=body]", body)
    page.get_by_role("button", name="Save step").click()
    expect(page.get_by_text("Added the step.")).to_be_visible()


def _shot(page, name):
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, name), full_page=True)


def test_trainer_builds_a_campaign(page, live_server, trainer, tmp_path):
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server)
    page.get_by_role("link", name="Sequences").click()
    page.fill("input[name=name]", "Onboarding nudges")
    page.get_by_role("button", name="Create sequence").click()
    expect(page.get_by_role("heading", name="Onboarding nudges")).to_be_visible()

    # The live counter under an SMS body, and a template that would not render is refused with the reason.
    page.get_by_role("link", name="Add a step").first.click()
    counter = page.locator("#body-count [data-preview-count]")  # the one counter: what the learner gets
    page.fill("textarea[name=body]", "Hi {{ first_name }}")
    expect(counter).to_contain_text("1 segment")
    page.fill("textarea[name=body]", "€" * 100)
    expect(counter).to_contain_text("2 segments")
    page.fill("textarea[name=body]", "Hi {{ firstname }}")
    page.get_by_role("button", name="Save step").click()
    expect(page.locator("[data-error=body]")).to_contain_text("unknown variable 'firstname'")
    page.get_by_role("link", name="Cancel").click()

    _add_step(
        page,
        amount=2,
        unit="days",
        direction="before",
        anchor="start",
        kind="reminder",
        channel="sms",
        body="Hi {{ first_name }}, {{ session.title }} is in two days. Bring one real situation!",
    )
    _add_step(
        page,
        amount=0,
        unit="minutes",
        direction="after",
        anchor="start",
        kind="live_prompt",
        channel="sms",
        body="We're live! Text your questions to this number.",
    )
    _add_step(
        page,
        amount=1,
        unit="days",
        direction="after",
        anchor="end",
        at="09:00",
        kind="practice",
        channel="email",
        subject="Your practice for this week",
        body="Hi {{ first_name }},\n\nTry one idea this week and reply with how it went.",
    )
    expect(page.locator(".card-header").get_by_text("1 day after end at 09:00")).to_be_visible()
    expect(page.locator("[data-testid=timeline] g[data-step]")).to_have_count(3)
    _shot(page, "sequence-editor.png")

    page.get_by_role("link", name="Sessions").click()
    page.get_by_role("link", name="New session").click()
    day = datetime.now(ZoneInfo("America/New_York")).date() + timedelta(days=10)
    page.fill("input[name=title]", "Feedback that lands")
    page.fill("input[name=starts]", f"{day}T09:30")
    page.fill("input[name=ends]", f"{day}T12:00")
    page.fill("input[name=timezone]", "America/New_York")
    page.check("text=Onboarding nudges")
    page.get_by_role("button", name="Create session").click()
    expect(page.get_by_role("heading", name="Feedback that lands")).to_be_visible()

    bad = tmp_path / "learners.csv"
    bad.write_text(BAD_CSV, encoding="utf-8")
    page.get_by_role("link", name="Import a CSV into this session").click()
    page.set_input_files("input[name=file]", str(bad))
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_text("Nothing was imported.")).to_be_visible()
    expect(page.locator("tr[data-row='3']")).to_contain_text("not a valid phone number")
    expect(page.get_by_role("button", name="Import 3 learners")).to_have_count(0)
    assert db.session.query(Learner).count() == 0

    good = tmp_path / "learners-fixed.csv"
    good.write_text(GOOD_CSV, encoding="utf-8")
    page.get_by_role("link", name="Upload a corrected file").click()
    page.set_input_files("input[name=file]", str(good))
    with page.expect_navigation():
        page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_text("All 3 rows are valid.")).to_be_visible()
    page.get_by_role("button", name="Import 3 learners").click()

    expect(
        page.get_by_text("Imported 3 learners (3 new, 0 updated); 3 enrolled in Feedback that lands.")
    ).to_be_visible()
    counts = page.locator("[data-testid=step-counts] tbody tr")
    expect(counts).to_have_count(3)
    for row in range(3):
        expect(counts.nth(row).locator("[data-count=scheduled]")).to_have_text("3")
    expect(page.get_by_role("link", name="Chloé Martin", exact=True)).to_be_visible()
    _shot(page, "session.png")

    ts = db.session.query(TrainingSession).one()
    assert db.session.query(Delivery).filter_by(session_id=ts.id, status="scheduled").count() == 9
