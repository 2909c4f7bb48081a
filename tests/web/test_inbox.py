"""The inbox (unclassified texts and unknown senders, with a navigation count) and re-filing from the admin pages."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from drip.extensions import db
from drip.models import LiveQuestion, Refiling, Reply, utcnow
from drip.services import accounts
from tests.conftest import csrf_token
from tests.support.inbound_factory import sms_step, enrol, make_learner, post_sms, sent_delivery, session_with_steps


def past_session(trainer):
    """A session that ended an hour ago, with a poll and a practice step."""
    poll = sms_step("poll", "-P1D", "Which? 1 Tea 2 Coffee", choices=["Tea", "Coffee"])
    practice = sms_step("practice", "P1D", "Try it", anchor="end")
    return session_with_steps(trainer, [poll, practice], starts_at=utcnow() - timedelta(hours=3)), poll, practice


def test_unclassified_texts_and_unknown_senders_are_in_the_inbox_with_a_count(app, logged_in, trainer):
    ts, _, _ = past_session(trainer)
    ada = make_learner(trainer)
    enrol(ts, ada)
    post_sms(logged_in, app, "Hello, is this the trainer?")  # Ada, nothing sent to her yet: unclassified
    post_sms(logged_in, app, "Who are you?", sender="+14155550999")  # nobody we know
    page = logged_in.get("/inbox").get_data(as_text=True)
    assert page.index("Who are you?") < page.index("Hello, is this the trainer?")  # newest first
    assert "unknown sender" in page and "+14155550999" in page
    assert 'data-testid="inbox-count">2<' in logged_in.get("/sessions").get_data(as_text=True)
    other = accounts.create_trainer("other@example.com", "another password", "Otto")
    assert other.id != trainer.id
    logged_in.post("/logout", data={"csrf_token": csrf_token(logged_in, "/inbox")})
    logged_in.post(
        "/login",
        data={"email": "other@example.com", "password": "another password", "csrf_token": csrf_token(logged_in)},
    )
    page = logged_in.get("/inbox").get_data(as_text=True)
    assert "Who are you?" not in page and "Hello, is this the trainer?" not in page


def test_filing_from_the_inbox_as_a_vote_counts_and_is_recorded(app, logged_in, trainer):
    ts, poll, _ = past_session(trainer)
    ada = make_learner(trainer)
    enrol(ts, ada)
    post_sms(logged_in, app, "coffee for me please")
    reply = db.session.scalars(select(Reply)).one()
    assert reply.kind == "unclassified"
    token = csrf_token(logged_in, "/inbox")
    answer = logged_in.post(
        f"/refile/reply/{reply.id}", data={"csrf_token": token, "target": f"poll_vote:{poll.id}:1", "back": "/inbox"}
    )
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/inbox")
    db.session.expire_all()
    moved = db.session.get(Reply, reply.id)
    assert (moved.kind, moved.step_id, moved.choice_index) == ("poll_vote", poll.id, 1)
    assert "1</span> of the 0 learners asked voted" in logged_in.get(f"/sessions/{ts.id}/replies").get_data(
        as_text=True
    )
    refiling = db.session.scalars(select(Refiling)).one()
    assert (refiling.moved_by_id, refiling.from_kind, refiling.to_kind, refiling.to_choice_index) == (
        trainer.id,
        "unclassified",
        "poll_vote",
        1,
    )
    assert 'data-testid="inbox-count"' not in logged_in.get("/sessions").get_data(as_text=True)
    page = logged_in.get(f"/sessions/{ts.id}/replies").get_data(as_text=True)
    assert "Moved from unclassified by Tess Trainer" in page


def test_a_practice_report_filed_as_a_question_from_the_learner_page(app, logged_in, trainer):
    ts, _, practice = past_session(trainer)
    ada = make_learner(trainer)
    sent_delivery(ts, ada, practice, sent_at=utcnow() - timedelta(minutes=30))
    post_sms(logged_in, app, "How do I do this with a remote team?")
    reply = db.session.scalars(select(Reply)).one()
    assert reply.kind == "practice_report"
    page = logged_in.get(f"/learners/{ada.id}").get_data(as_text=True)
    assert f'action="/refile/reply/{reply.id}"' in page
    answer = logged_in.post(
        f"/refile/reply/{reply.id}",
        data={
            "csrf_token": csrf_token(logged_in, f"/learners/{ada.id}"),
            "target": "live_question",
            "back": f"/learners/{ada.id}",
        },
    )
    assert answer.headers["Location"].endswith(f"/learners/{ada.id}")
    question = db.session.scalars(select(LiveQuestion)).one()
    assert (question.session_id, question.learner_id, question.body) == (
        ts.id,
        ada.id,
        "How do I do this with a remote team?",
    )
    assert db.session.get(Reply, reply.id) is None


def test_bad_or_foreign_moves_change_nothing(app, logged_in, trainer):
    ts, _, _ = past_session(trainer)
    enrol(ts, make_learner(trainer))
    post_sms(logged_in, app, "Hello?")
    reply = db.session.scalars(select(Reply)).one()
    token = csrf_token(logged_in, "/inbox")
    for target, back in (
        ("nonsense", "https://evil.example/"),
        ("poll_vote:abc:1", "//evil.example"),
        ("poll_vote:999999:0", "/\\evil.example"),
        ("", ""),
    ):
        answer = logged_in.post(f"/refile/reply/{reply.id}", data={"csrf_token": token, "target": target, "back": back})
        assert answer.status_code == 302 and answer.headers["Location"].endswith("/inbox")
    assert (
        logged_in.post(
            f"/refile/reply/{reply.id + 99}", data={"csrf_token": token, "target": "unclassified"}
        ).status_code
        == 404
    )
    assert logged_in.post(f"/refile/reply/{reply.id}", data={"target": "live_question"}).status_code == 400  # no CSRF
    db.session.expire_all()
    assert db.session.get(Reply, reply.id).kind == "unclassified"
    assert db.session.scalars(select(Refiling)).all() == []


def test_an_unknown_senders_text_marked_reviewed_stays_listed_but_leaves_the_count(app, logged_in, trainer):
    past_session(trainer)
    post_sms(logged_in, app, "Wrong number?", sender="+14155550999")
    reply = db.session.scalars(select(Reply)).one()
    assert 'data-testid="inbox-count">1<' in logged_in.get("/inbox").get_data(as_text=True)
    answer = logged_in.post(f"/inbox/{reply.id}/reviewed", data={"csrf_token": csrf_token(logged_in, "/inbox")})
    assert answer.status_code == 302
    page = logged_in.get("/inbox").get_data(as_text=True)
    assert "Wrong number?" in page and 'data-testid="inbox-count"' not in page
