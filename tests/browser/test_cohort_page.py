"""The cohort page on a phone (375 px): read, post, vote; and the board and projector following two learners' votes."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from drip.extensions import db
from drip.models import LiveQuestion, session_sequences, utcnow
from tests.browser.a11y import axe_source, violations
from tests.browser.conftest import sign_in
from tests.browser.test_board import streams  # noqa: F401  (fixture)
from tests.support.inbound_factory import make_learner, make_session, make_step, sent_delivery
from tests.web.test_cohort_page import _cohort, _token

pytestmark = pytest.mark.browser
PHONE = {"width": 375, "height": 740}


def test_read_post_and_vote_on_a_phone_while_the_projector_reorders(app, trainer, browser, page, live_server, streams):  # noqa: F811
    ts, step, (ada, ben, cy) = _cohort(trainer, starts_at=utcnow() - timedelta(minutes=10))
    ts.question_order = "votes"
    first = LiveQuestion(session_id=ts.id, learner_id=cy.id, body="What if they get defensive?", approved=True)
    second = LiveQuestion(session_id=ts.id, learner_id=cy.id, body="How often should I give feedback?", approved=True)
    db.session.add_all([first, second])
    db.session.commit()
    trainer_browser = browser.new_context()  # the trainer's browser: the projector, then the board beside it
    trainer_page = trainer_browser.new_page()
    sign_in(trainer_page, live_server)
    trainer_page.goto(f"{live_server}/sessions/{ts.id}/projector")
    cards = trainer_page.locator("#questions .projector-question .question-body")
    expect(cards).to_have_text(
        ["How often should I give feedback?", "What if they get defensive?"]
    )  # a tie: newest first

    page.set_viewport_size(PHONE)
    page.goto(f"{live_server}/c/{_token(ts, ada)}")
    expect(page.get_by_text("Ben's approved <b>answer</b>")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert violations(page, axe_source()) == []

    page.get_by_label("Your answer").fill("I name the behaviour, not the person.")
    with page.expect_navigation():  # the vote below must reach the page's script, not the plain form
        page.get_by_role("button", name="Post").click()
    expect(page.get_by_text("I name the behaviour, not the person.")).to_be_visible()
    expect(page.get_by_text("Waiting for the trainer")).to_be_visible()

    vote = page.locator(f"#question-{first.id} button")
    vote.click()
    expect(vote).to_have_attribute("aria-pressed", "true")
    expect(vote.locator(".count")).to_have_text("1")
    # The projector shows the count and moves the question up, without a reload.
    expect(cards).to_have_text(["What if they get defensive?", "How often should I give feedback?"])
    projector_votes = trainer_page.locator(".projector-question", has_text="defensive").locator(".projector-votes")
    expect(projector_votes).to_have_text("▲ 1")
    board = trainer_browser.new_page()
    board.goto(f"{live_server}/sessions/{ts.id}/board")
    board_cards = board.locator(".question-card .question-body")
    expect(board_cards).to_have_text(["What if they get defensive?", "How often should I give feedback?"])
    board_votes = board.locator(".question-card", has_text="defensive").locator(".question-votes")
    expect(board_votes).to_have_text("▲ 1")

    # A second learner seconds the question: both screens count 2; the first takes hers back: 1.
    ben_page = browser.new_page(viewport=PHONE)
    ben_page.goto(f"{live_server}/c/{_token(ts, ben)}")
    ben_vote = ben_page.locator(f"#question-{first.id} button")
    ben_vote.click()
    expect(ben_vote).to_have_attribute("aria-pressed", "true")
    expect(ben_vote.locator(".count")).to_have_text("2")
    expect(projector_votes).to_have_text("▲ 2")
    expect(board_votes).to_have_text("▲ 2")
    vote.click()
    expect(vote).to_have_attribute("aria-pressed", "false")
    expect(vote.locator(".count")).to_have_text("1")
    expect(projector_votes).to_have_text("▲ 1")
    expect(board_votes).to_have_text("▲ 1")
    expect(cards).to_have_text(["What if they get defensive?", "How often should I give feedback?"])
    # The last vote taken back: a tie again, newest first, on both screens.
    ben_vote.click()
    expect(ben_vote).to_have_attribute("aria-pressed", "false")
    expect(cards).to_have_text(["How often should I give feedback?", "What if they get defensive?"])
    expect(board_cards).to_have_text(["How often should I give feedback?", "What if they get defensive?"])
    expect(board_votes).to_be_hidden()
    assert violations(page, axe_source()) == []
    ben_page.close()
    trainer_browser.close()


def test_the_page_works_without_javascript(app, trainer, browser, live_server):
    ts, step, (ada, ben, cy) = _cohort(trainer, starts_at=utcnow() - timedelta(minutes=10))
    question = LiveQuestion(session_id=ts.id, learner_id=cy.id, body="Can we see the slides?", approved=True)
    db.session.add(question)
    db.session.commit()
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    page.goto(f"{live_server}/c/{_token(ts, ben)}")
    page.locator(f"#question-{question.id} button").click()
    expect(page.locator(f"#question-{question.id} .count")).to_have_text("1")
    page.get_by_label("Your answer").fill("Posted without scripts")
    page.get_by_role("button", name="Post").click()
    expect(page.get_by_text("Posted without scripts")).to_be_visible()
    context.close()


def test_the_room_refreshes_while_the_page_is_open(app, trainer, page, live_server):
    ts, step, (ada, ben, cy) = _cohort(trainer, starts_at=utcnow() - timedelta(minutes=10))
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server}/c/{_token(ts, ada)}")
    expect(page.get_by_text("No questions on the board yet.")).to_be_visible()
    question = LiveQuestion(session_id=ts.id, learner_id=cy.id, body="<b>Is this escaped?</b>", approved=True, votes=3)
    db.session.add(question)
    db.session.commit()
    row = page.locator(f"#question-{question.id}")
    expect(row).to_contain_text("<b>Is this escaped?</b>", timeout=8_000)  # as text, never as markup
    expect(row.locator(".count")).to_have_text("3")
    expect(page.get_by_text("No questions on the board yet.")).to_be_hidden()
    row.locator("button").click()  # a question that arrived by refresh votes like the others
    expect(row.locator(".count")).to_have_text("4")
    expect(row.locator("button")).to_have_attribute("aria-pressed", "true")


def test_the_first_question_reaches_a_page_with_no_other_form(app, trainer, page, live_server):
    """No prompt sent yet and no poll open: the page has no form to borrow a form token from; the first question
    still arrives by refresh, in the learner's language, and takes a vote."""
    ts = make_session(trainer, starts_at=utcnow() - timedelta(minutes=10))
    step = make_step(trainer, "reminder", body="Hi {{ name }}: see you soon.")
    db.session.execute(session_sequences.insert(), [{"session_id": ts.id, "sequence_id": step.sequence_id}])
    ada = make_learner(trainer, "Ada Lovelace", phone="+14155550101")
    cy = make_learner(trainer, "Cy Tremblay", phone="+14155550103")
    for learner in (ada, cy):
        sent_delivery(ts, learner, step)
    ada.language = "es"
    db.session.commit()
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server}/c/{_token(ts, ada)}")
    assert page.locator("input[name=form_token]").count() == 0
    question = LiveQuestion(session_id=ts.id, learner_id=cy.id, body="¿Y los ejemplos?", approved=True, votes=1)
    db.session.add(question)
    db.session.commit()
    row = page.locator(f"#question-{question.id}")
    expect(row).to_contain_text("¿Y los ejemplos?", timeout=8_000)
    expect(row.locator(".label")).to_have_text("Votar")
    row.locator("button").click()
    expect(row.locator(".count")).to_have_text("2")
    expect(row.locator("button")).to_have_attribute("aria-pressed", "true")
    db.session.expire_all()
    assert db.session.get(LiveQuestion, question.id).votes == 2


def test_a_busy_answer_makes_the_script_wait_as_long_as_retry_after_says(app, trainer, page, live_server):
    ts, step, (ada, ben, cy) = _cohort(trainer, starts_at=utcnow() - timedelta(minutes=10))
    asked = []

    def busy_first(route):  # the web's reader gate turning the first refresh away, then the server itself
        asked.append(route.request.headers.get("if-none-match"))
        if len(asked) == 1:
            route.fulfill(status=503, headers={"Retry-After": "30"}, body="busy")
        else:
            route.continue_()

    page.clock.install()  # the page's timers run on a clock this test moves
    page.route("**/room.json", busy_first)
    page.goto(f"{live_server}/c/{_token(ts, ada)}")
    with page.expect_response("**/room.json"):
        page.clock.run_for(5_000)  # the first refresh, 5 s after the page opened: turned away
    page.evaluate("0")  # the script has read the answer and set its next refresh
    page.clock.run_for(29_500)
    assert len(asked) == 1  # nothing before Retry-After's 30 s
    with page.expect_response("**/room.json") as again:
        page.clock.run_for(16_000)  # and by half again (the spread that keeps phones apart)
    assert again.value.status == 200 and len(asked) == 2
    page.evaluate("0")
    with page.expect_response("**/room.json") as usual:
        page.clock.run_for(5_000)  # back to every 5 s, with the ETag it got
    assert usual.value.status == 304 and len(asked) == 3 and asked[2]


def test_a_refresh_read_before_a_vote_does_not_undo_it_on_the_page(app, trainer, page, live_server):
    """The vote is answered by one process, a refresh a moment later by another that read the room up to a second
    before (each process reads a session's votes once a second): the page keeps the vote's own answer."""
    ts, step, (ada, ben, cy) = _cohort(trainer, starts_at=utcnow() - timedelta(minutes=10))
    question = LiveQuestion(session_id=ts.id, learner_id=cy.id, body="Can we practise this?", approved=True, votes=3)
    db.session.add(question)
    db.session.commit()
    token = _token(ts, ada)
    room = json.loads(page.request.get(f"{live_server}/c/{token}/room.json").text())
    # The room as a process read it before the vote, with a question that came in meanwhile (so the test sees
    # the refresh drawn).
    room["questions"].append({**room["questions"][0], "id": question.id + 1000, "body": "Read before the vote"})
    page.clock.install()
    page.goto(f"{live_server}/c/{token}")
    button = page.locator(f"#question-{question.id} button")
    page.clock.run_for(4_000)  # the first refresh is due 5 s after the page opened
    button.click()
    expect(button.locator(".count")).to_have_text("4")

    def from_before(route):
        route.fulfill(status=200, headers={"ETag": '"before"'}, content_type="application/json", body=json.dumps(room))

    page.route("**/room.json", from_before)
    page.clock.run_for(1_500)  # a refresh asked for within a second or so of the vote, answered from before it
    expect(page.get_by_text("Read before the vote")).to_be_visible()  # drawn
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(button.locator(".count")).to_have_text("4")
    page.unroute("**/room.json")
    with page.expect_response("**/room.json") as fresh:
        page.clock.run_for(5_000)  # the next one, from after the vote
    assert fresh.value.status == 200
    expect(page.get_by_text("Read before the vote")).to_be_hidden()
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(button.locator(".count")).to_have_text("4")
