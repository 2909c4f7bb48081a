"""The lurker loop in a real browser: approving answers, the engagement picture, answering a question afterwards."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from drip.extensions import db
from drip.models import DeliveryRead, LiveQuestion, session_sequences, utcnow
from tests.browser.conftest import sign_in
from tests.support.inbound_factory import make_learner, make_reply, make_session, make_step, sent_delivery
from tests.web.test_api_support import api_for

pytestmark = pytest.mark.browser


def no_serious_violations(page, *selectors: str) -> None:
    """axe-core on the parts of the page this feature adds: no serious or critical violation."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, context={"include": [[selector] for selector in selectors]})
    serious = [v["id"] for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    assert serious == [], [(v["id"], [n["html"][:160] for n in v["nodes"]]) for v in results.response["violations"]]


@pytest.fixture()
def cohort(app, trainer):
    """A session that ended yesterday: two learners answered the discussion, one only read it, one is silent."""
    ts = make_session(trainer, title="Feedback that lands", starts_at=utcnow() - timedelta(days=1, hours=3))
    step = make_step(trainer, "discussion", channel="email", subject="Before we meet", body="What went well?")
    db.session.execute(session_sequences.insert(), [{"session_id": ts.id, "sequence_id": step.sequence_id}])
    names = ["Ada Lovelace", "Bo Chen", "Cy Diallo", "Dee Evans"]
    learners = [make_learner(trainer, name, phone=f"+1415555040{n}") for n, name in enumerate(names)]
    deliveries = [sent_delivery(ts, learner, step) for learner in learners]
    for learner, body in zip(learners[:2], ["I asked first, then listened.", "Shorter feedback, sooner."]):
        make_reply(ts, learner, step, body, channel="email")
    db.session.add(
        DeliveryRead(
            delivery_id=deliveries[2].id,
            session_id=ts.id,
            learner_id=learners[2].id,
            step_id=step.id,
            kind="click",
            via="tracked_link",
        )
    )
    db.session.add(
        DeliveryRead(
            delivery_id=deliveries[3].id,
            session_id=ts.id,
            learner_id=learners[3].id,
            step_id=step.id,
            kind="click",
            via="tracked_link",
            flag="head",
        )
    )
    db.session.add(LiveQuestion(session_id=ts.id, learner_id=learners[3].id, body="How do I start a hard talk?"))
    db.session.commit()
    return ts


def test_approve_answers_see_the_engagement_picture_and_answer_after_the_session(
    app, live_server, page, trainer, cohort
):
    ts = cohort
    sign_in(page, live_server)
    page.goto(f"{live_server}/sessions/{ts.id}/replies")
    ada = page.locator("li.reply-item", has_text="I asked first")
    ada.get_by_role("button", name="Share in digest").click()
    expect(
        page.locator("li.reply-item", has_text="I asked first").get_by_role("button", name="Shared ✓")
    ).to_be_visible()
    page.locator("li.reply-item", has_text="Shorter feedback").get_by_role("checkbox").check()
    page.get_by_role("button", name="Share selected in digest").click()
    expect(page.get_by_text("1 answer approved for the digest.")).to_be_visible()
    expect(page.get_by_role("button", name="Shared ✓")).to_have_count(2)
    # The replies page's own header fails colour contrast (not ours); our buttons and forms are checked.
    no_serious_violations(page, "[data-share]", "form[id^=bulk-]", "input[name=reply_ids]")

    page.goto(f"{live_server}/sessions/{ts.id}")
    picture = page.get_by_test_id("engagement")
    expect(picture.get_by_role("img")).to_have_attribute(
        "aria-label", "Active (replied): 3, Readers (read, never replied): 1, Silent: 0, Opted out: 0"
    )
    found = api_for(app.test_client(), trainer).get(f"/sessions/{ts.id}/engagement").get_json()
    for state, count in found["states"].items():  # the page and the API agree
        expect(picture.locator(f"[data-state={state}]")).to_have_text(str(count))
    no_serious_violations(page, "[data-testid=engagement]")
    funnel = page.get_by_test_id("funnel")
    expect(funnel.locator("[data-stage=sent]")).to_have_text("4")
    expect(funnel.locator("[data-stage=read]")).to_have_text("1")
    expect(funnel.locator("[data-stage=replied]")).to_have_text("2")
    page.set_viewport_size({"width": 375, "height": 800})  # a phone: the picture still fits its card
    width = picture.evaluate("card => [card.scrollWidth, card.clientWidth, card.getBoundingClientRect().right]")
    assert width[0] <= width[1] and width[2] <= 375, width

    page.goto(f"{live_server}/sessions/{ts.id}/board")
    page.get_by_label("How do I start a hard talk?").fill("Start with what you noticed, then ask.")
    page.get_by_role("button", name="Save answer").click()
    expect(page.get_by_text("Answer saved.")).to_be_visible()
    no_serious_violations(page, "[data-testid=after-session]")
    expect(page.get_by_label("How do I start a hard talk?")).to_have_value("Start with what you noticed, then ask.")
    db.session.expire_all()
    assert db.session.query(LiveQuestion).one().answer == "Start with what you noticed, then ask."
