"""A trainer builds a quiz step, previews both verdicts, and reads the Learning tab after simulated answers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from drip.services.programs.enrolment import enrol
from tests.browser.conftest import sign_in
from tests.support.engine_factory import make_learners
from tests.support.inbound_factory import post_sms
from tests.support.quiz_support import rows, send_due, session_with

pytestmark = pytest.mark.browser


def _no_serious_violations(page, *parts: str):
    """axe-core finds nothing serious or critical in these parts of the page (this feature's own)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, context={"include": [[part] for part in parts]})
    serious = [v["id"] for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    assert serious == [], results.generate_report()


def test_trainer_builds_a_quiz_previews_verdicts_and_reads_the_learning_tab(page, live_server, app, trainer):
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    sign_in(page, live_server)
    page.goto(f"{live_server}/sequences")
    page.fill("input[name=name]", "Recall")
    page.get_by_role("button", name="Create sequence").click()
    page.get_by_role("link", name="Add a step").first.click()
    page.fill("input[name=amount]", "2")
    page.select_option("select[name=direction]", "after")
    page.select_option("select[name=anchor]", "end")
    page.select_option("select[name=kind]", "quiz")
    expect(page.get_by_label("Right answer")).to_be_visible()
    page.fill("textarea[name=body]", "What makes a skill stick?\n{{ reply_hint }}")
    page.fill("textarea[name=choices]", "Re-reading\nTrying it soon\nWaiting")
    # The picker names the choices as typed: the trainer marks the text, not a letter.
    page.get_by_label("Right answer").select_option(label="B) Trying it soon")
    page.fill("textarea[name=explain]", "Using it soon makes it stay.")
    page.get_by_role("button", name="Preview").click()
    verdicts = page.get_by_test_id("verdicts")
    expect(verdicts).to_contain_text("Right! Using it soon makes it stay.")
    expect(verdicts).to_contain_text("Not quite: Using it soon makes it stay.")
    expect(verdicts).to_contain_text("1 segment · GSM-7")
    expect(page.get_by_test_id("preview")).to_contain_text("B) Trying it soon")
    _no_serious_violations(page, "fieldset[data-show-kind=quiz]", "[data-testid=preview]")
    page.get_by_role("button", name="Save step").click()
    expect(page.get_by_text("Added the step.")).to_be_visible()

    from drip.extensions import db
    from drip.models import Sequence

    sequence = db.session.scalar(db.select(Sequence).where(Sequence.name == "Recall"))
    ts = session_with(trainer, [], name="unused")
    ts.sequences = [sequence]
    db.session.commit()
    right, wrong = make_learners(trainer, 2)
    enrol(ts, [right, wrong])
    quiz = rows(right, "step")[0]
    client = app.test_client()
    send_due(quiz.due_at)
    post_sms(client, app, "B", sender=right.phone)
    post_sms(client, app, "c", sender=wrong.phone)
    send_due(quiz.due_at + timedelta(days=2))
    post_sms(client, app, "Trying it soon", sender=wrong.phone)

    page.set_viewport_size({"width": 1920, "height": 1080})  # a projector
    page.goto(f"{live_server}/sessions/{ts.id}")
    page.get_by_role("link", name="Learning").click()
    card = page.get_by_test_id(f"quiz-{quiz.step_id}")
    expect(card.locator("[data-part=first]")).to_have_text("50%")
    expect(card.locator("[data-part=reask]")).to_have_text("50%")
    expect(card.get_by_test_id("most-wrong")).to_have_text("C) Waiting")
    expect(card.get_by_role("img").first).to_be_visible()
    expect(page.get_by_test_id("learning-learners")).to_contain_text("1 of 1")
    _no_serious_violations(page, "[data-testid=learning]")
