"""The replies page: grouping by step, poll tallies, review marks, trainer replies, CSV, ownership."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from drip.extensions import db
from drip.models import OutboxMessage, Reply, session_sequences, utcnow
from drip.services.replies.answers import thread_for
from tests.conftest import csrf_token
from tests.support.inbound_factory import make_learner, make_reply, make_session, make_step, post_sms, sent_delivery

CHOICES = ["Giving feedback", "Receiving feedback", "Both"]


@pytest.fixture()
def past(app, trainer):
    """A session that ended yesterday, with a poll and a practice step in its sequence."""
    ts = make_session(trainer, starts_at=utcnow() - timedelta(days=1, hours=3))
    poll = make_step(trainer, "poll", choices=CHOICES, body="What do you want to practise?")
    practice = make_step(trainer, "practice", body="Give one piece of SBI feedback and tell me how it went.")
    db.session.execute(
        session_sequences.insert(),
        [
            {"session_id": ts.id, "sequence_id": poll.sequence_id},
            {"session_id": ts.id, "sequence_id": practice.sequence_id},
        ],
    )
    db.session.commit()
    return ts, poll, practice


def test_replies_grouped_by_step_with_a_poll_tally(app, logged_in, trainer, past):
    ts, poll, practice = past
    for index, answer in enumerate(["1", "2", "2", "Both", "no idea"]):
        learner = make_learner(trainer, f"Learner {index}", phone=f"+1415555020{index}")
        sent_delivery(ts, learner, poll, sent_at=utcnow() - timedelta(hours=2))
        post_sms(logged_in, app, answer, sender=learner.phone)
    ada = make_learner(trainer, "Ada Lovelace", phone="+14155550299")
    sent_delivery(ts, ada, practice)
    post_sms(logged_in, app, "<b>It went well</b>", sender=ada.phone)
    page = logged_in.get(f"/sessions/{ts.id}/replies").get_data(as_text=True)
    assert "&lt;b&gt;It went well&lt;/b&gt;" in page and "<b>It went well" not in page
    assert "4</span> of the 5 learners asked voted · 80% response rate" in page
    assert page.index("What do you want to practise?") < page.index("no idea") < page.index("It went well")
    rows = [line for line in page.splitlines() if 'class="tally-votes"' in line]
    assert [row.split('class="tally-votes">')[1].split("<")[0] for row in rows] == ["1", "2", "1"]


def test_a_changed_vote_counts_once(app, logged_in, trainer, past):
    ts, poll, _ = past
    ada = make_learner(trainer)
    sent_delivery(ts, ada, poll)
    post_sms(logged_in, app, "1", sender=ada.phone)
    post_sms(logged_in, app, "3", sender=ada.phone)
    page = logged_in.get(f"/sessions/{ts.id}/replies").get_data(as_text=True)
    assert "1</span> of the 1 learner asked voted · 100% response rate" in page


def test_mark_reviewed_and_unmark(app, logged_in, trainer, past):
    ts, _, practice = past
    ada = make_learner(trainer)
    sent_delivery(ts, ada, practice)
    post_sms(logged_in, app, "done", sender=ada.phone)
    reply = db.session.scalar(select(Reply))
    token = csrf_token(logged_in, f"/sessions/{ts.id}/replies")
    url = f"/sessions/{ts.id}/replies/{reply.id}/reviewed"
    assert logged_in.post(url, data={"csrf_token": token, "reviewed": "1"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Reply, reply.id).reviewed_at is not None
    logged_in.post(url, data={"csrf_token": token, "reviewed": "0"})
    db.session.expire_all()
    assert db.session.get(Reply, reply.id).reviewed_at is None
    logged_in.post(f"/sessions/{ts.id}/replies/reviewed", data={"csrf_token": token, "step_id": practice.id})
    db.session.expire_all()
    assert db.session.get(Reply, reply.id).reviewed_at is not None


def test_trainer_reply_by_sms_goes_out_and_joins_the_thread(app, logged_in, trainer, past):
    ts, _, practice = past
    ada = make_learner(trainer)
    sent_delivery(ts, ada, practice)
    post_sms(logged_in, app, "Tried it, felt awkward", sender=ada.phone)
    token = csrf_token(logged_in, f"/sessions/{ts.id}/learners/{ada.id}/thread")
    response = logged_in.post(
        f"/sessions/{ts.id}/learners/{ada.id}/reply",
        data={"csrf_token": token, "channel": "sms", "body": "Awkward is normal at first!"},
    )
    assert response.status_code == 302
    sent = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to_address == ada.phone))
    assert sent.body.startswith("Awkward is normal at first!")
    entries = thread_for(ada)
    assert [(e.kind, e.from_trainer) for e in entries] == [("practice_report", False), ("trainer_reply", True)]
    page = logged_in.get(f"/sessions/{ts.id}/learners/{ada.id}/thread").get_data(as_text=True)
    assert page.index("Tried it, felt awkward") < page.index("Awkward is normal at first!")


def test_a_reply_to_an_opted_out_learner_is_refused_with_the_reason(app, logged_in, trainer, past):
    ts, _, _ = past
    ada = make_learner(trainer)
    post_sms(logged_in, app, "STOP", sender=ada.phone)
    token = csrf_token(logged_in, f"/sessions/{ts.id}/learners/{ada.id}/thread")
    page = logged_in.post(
        f"/sessions/{ts.id}/learners/{ada.id}/reply",
        follow_redirects=True,
        data={"csrf_token": token, "channel": "sms", "body": "hello?"},
    ).get_data(as_text=True)
    assert "Not sent" in page and db.session.scalar(select(Reply).where(Reply.kind == "trainer_reply")) is None


def test_csv_export_neutralises_formulas(app, logged_in, trainer, past):
    ts, _, practice = past
    ada = make_learner(trainer)
    sent_delivery(ts, ada, practice)
    post_sms(logged_in, app, '=HYPERLINK("http://evil")', sender=ada.phone)
    response = logged_in.get(f"/sessions/{ts.id}/replies.csv")
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == "received_at_utc" and rows[1][1] == "Ada Lovelace"
    assert rows[1][rows[0].index("body")] == '\'=HYPERLINK("http://evil")'
    assert rows[1][rows[0].index("kind")] == "practice_report"


def test_another_trainers_replies_are_not_found(app, logged_in, trainer, past):
    from drip.services import accounts

    other = accounts.create_trainer("other@example.com", "another long password", "Olga")
    theirs = make_session(other)
    stranger = make_learner(other, "Their learner")
    reply = make_reply(theirs, stranger, None, "private")
    ts = past[0]
    token = csrf_token(logged_in, f"/sessions/{ts.id}/replies")
    assert logged_in.get(f"/sessions/{theirs.id}/replies").status_code == 404
    assert logged_in.get(f"/sessions/{theirs.id}/replies.csv").status_code == 404
    assert logged_in.get(f"/sessions/{ts.id}/learners/{stranger.id}/thread").status_code == 404
    assert (
        logged_in.post(f"/sessions/{ts.id}/replies/{reply.id}/reviewed", data={"csrf_token": token}).status_code == 404
    )
    assert (
        logged_in.post(
            f"/sessions/{ts.id}/learners/{stranger.id}/reply",
            data={"csrf_token": token, "channel": "sms", "body": "hi"},
        ).status_code
        == 404
    )
    assert "private" not in logged_in.get(f"/sessions/{ts.id}/replies").get_data(as_text=True)


def test_live_questions_export_as_formula_safe_csv(logged_in, trainer):
    from drip.models import LiveQuestion
    from tests.support.inbound_factory import enrol, make_learner, make_session

    ts = make_session(trainer)
    ada = make_learner(trainer, "Ada Lovelace")
    enrol(ts, ada)
    db.session.add_all(
        [
            LiveQuestion(session_id=ts.id, learner_id=ada.id, body='=HYPERLINK("http://evil")', starred=True),
            LiveQuestion(session_id=ts.id, learner_id=None, body="Café, or tea?"),
        ]
    )
    db.session.commit()
    response = logged_in.get(f"/sessions/{ts.id}/questions.csv")
    assert response.headers["Content-Disposition"].endswith('-questions.csv"')
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeffreceived_at_utc,learner,phone,question,answered,starred,hidden,approved")
    assert "'=HYPERLINK" in text and ",yes," in text and "Café, or tea?" in text and "unknown sender" in text
    assert "questions.csv" in logged_in.get(f"/sessions/{ts.id}/replies").get_data(as_text=True)
