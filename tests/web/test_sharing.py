"""Approving answers for digests (page and API), testimonial consent, answers after the session, privacy links."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from drip.extensions import db
from drip import models
from drip.models import Delivery, LiveQuestion, OutboxMessage, Reply, session_sequences, utcnow
from drip.services import accounts
from drip.services.replies import digests
from tests.conftest import csrf_token, login
from tests.support.inbound_factory import make_learner, make_session, make_step, post_sms, sent_delivery
from tests.support.webhook_drain import drain
from tests.web.test_api_support import api_for


def _past_with_answers(trainer, count=3, kind="discussion"):
    ts = make_session(trainer, starts_at=utcnow() - timedelta(days=1, hours=3))
    step = make_step(trainer, kind, body="What went well?")
    db.session.execute(session_sequences.insert(), [{"session_id": ts.id, "sequence_id": step.sequence_id}])
    db.session.commit()
    replies = []
    for n in range(count):
        learner = make_learner(trainer, f"Learner{n} Surname", phone=f"+1415555030{n}")
        sent_delivery(ts, learner, step)
        replies.append(
            Reply(
                trainer_id=trainer.id,
                session_id=ts.id,
                learner_id=learner.id,
                step_id=step.id,
                kind="discussion_reply" if kind == "discussion" else "practice_report",
                channel="sms",
                body=f"<i>Answer {n}</i>",
                created_at=utcnow(),
            )
        )
    db.session.add_all(replies)
    db.session.commit()
    return ts, step, replies


def test_one_click_and_bulk_approval_on_the_replies_page(app, logged_in, trainer):
    ts, step, (a, b, c) = _past_with_answers(trainer)
    page = logged_in.get(f"/sessions/{ts.id}/replies").get_data(as_text=True)
    assert "Share in digest" in page and "&lt;i&gt;Answer 0&lt;/i&gt;" in page
    token = csrf_token(logged_in, f"/sessions/{ts.id}/replies")
    assert (
        logged_in.post(f"/sessions/{ts.id}/replies/{a.id}/shared", data={"shared": "1"}).status_code == 400
    )  # no CSRF
    assert (
        logged_in.post(
            f"/sessions/{ts.id}/replies/{a.id}/shared", data={"shared": "1", "csrf_token": token}
        ).status_code
        == 302
    )
    bulk = logged_in.post(
        f"/sessions/{ts.id}/replies/shared",
        data={"reply_ids": [str(b.id), str(c.id)], "csrf_token": token},
        follow_redirects=True,
    )
    assert "2 answers approved for the digest." in bulk.get_data(as_text=True)
    db.session.expire_all()
    assert [r.shared for r in (a, b, c)] == [True, True, True]
    logged_in.post(f"/sessions/{ts.id}/replies/{c.id}/shared", data={"shared": "0", "csrf_token": token})
    db.session.expire_all()
    assert db.session.get(Reply, c.id).shared is False


def test_patch_shared_through_the_api_is_owned_and_checked(app, client, trainer):
    ts, step, (a, vote) = _past_with_answers(trainer, 2)
    vote.kind = "poll_vote"
    db.session.commit()
    api = api_for(client, trainer)
    answer = api.patch(f"/replies/{a.id}", json={"shared": True})
    assert answer.status_code == 200 and answer.get_json()["shared"] is True
    assert api.patch(f"/replies/{vote.id}", json={"shared": True}).status_code == 422
    assert api.patch(f"/replies/{a.id}", json={"shared": "yes"}).status_code == 422
    assert api.patch(f"/replies/{a.id}", json={}).status_code == 422
    other = accounts.create_trainer("other@example.com", "another long password", "Other")
    assert api_for(app.test_client(), other).patch(f"/replies/{a.id}", json={"shared": False}).status_code == 404
    db.session.expire_all()
    assert db.session.get(Reply, a.id).shared is True and db.session.get(Reply, vote.id).shared is False


def test_asking_for_a_testimonial_and_the_yes_that_adds_it_to_the_pool(app, logged_in, client, trainer):
    ts, step, (report,) = _past_with_answers(trainer, 1, kind="practice")
    api = api_for(app.test_client(), trainer)
    asked = api.post(f"/replies/{report.id}/testimonial")
    assert asked.status_code == 201 and asked.get_json()["status"] == "asked"
    question = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == "+14155550300")).one()
    assert question.body.startswith("May I share your words with the next group, first name only? Reply YES")
    assert api.get("/testimonials").get_json()["items"][0]["status"] == "asked"
    post_sms(logged_in, app, "Yes", sender="+14155550300")
    pool = api.get("/testimonials").get_json()["items"]
    assert [(t["status"], t["by"], t["quote"]) for t in pool] == [("consented", "Learner0", "<i>Answer 0</i>")]
    page = logged_in.get(f"/sessions/{ts.id}/replies").get_data(as_text=True)
    assert "testimonial: yes" in page
    dashboard = logged_in.get("/").get_data(as_text=True)
    assert "1 agreed · 0 awaiting a YES" in dashboard and "“&lt;i&gt;Answer 0&lt;/i&gt;” " in dashboard
    assert db.session.scalar(select(db.func.count()).select_from(models.Testimonial)) == 1


def test_answers_after_the_session_feed_a_questions_digest_anonymously(app, logged_in, trainer):
    ts = make_session(trainer, starts_at=utcnow() - timedelta(days=1, hours=3))
    asker = make_learner(trainer, "Asker Person")
    open_q = LiveQuestion(session_id=ts.id, learner_id=asker.id, body="How do I start <hard> talks?")
    done = LiveQuestion(session_id=ts.id, learner_id=asker.id, body="Answered in the room", answered=True)
    db.session.add_all([open_q, done])
    db.session.commit()
    board = logged_in.get(f"/sessions/{ts.id}/board").get_data(as_text=True)
    assert "Answer after the session" in board and "How do I start &lt;hard&gt; talks?" in board
    assert "Answered in the room" not in board.split("Answer after the session")[1].split("</section>")[0]
    token = csrf_token(logged_in, f"/sessions/{ts.id}/board")
    saved = logged_in.post(
        f"/sessions/{ts.id}/board/questions/{open_q.id}/answer",
        data={"answer": "Start with what you noticed.", "csrf_token": token},
        follow_redirects=True,
    )
    assert "Answer saved." in saved.get_data(as_text=True)
    found = digests.answers(ts.id, "questions", None, "first_name")
    assert found == [
        {
            "text": "How do I start <hard> talks? — Start with what you noticed.",
            "by": "a colleague",
            "question": "How do I start <hard> talks?",
            "answer": "Start with what you noticed.",
        }
    ]
    too_long = logged_in.post(
        f"/sessions/{ts.id}/board/questions/{open_q.id}/answer",
        data={"answer": "x" * 2001, "csrf_token": token},
        follow_redirects=True,
    )
    assert "Not saved" in too_long.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(LiveQuestion, open_q.id).answer == "Start with what you noticed."


def test_the_privacy_link_asks_first_and_then_keeps_answers_out(app, client, trainer):
    from drip.services.replies import privacy

    ts, step, (a,) = _past_with_answers(trainer, 1)
    a.shared = True
    db.session.commit()
    delivery_id = db.session.scalar(select(Delivery.id).where(Delivery.session_id == ts.id))
    line = privacy.email_line(app.config, delivery_id)
    path = line.split("127.0.0.1:5000")[1]
    assert client.get(path).status_code == 200  # a GET (a mail scanner) changes nothing
    assert len(digests.answers(ts.id, "step", step.id, "colleague")) == 1
    assert client.post(path).status_code == 303
    login(client)
    assert f'data-private="{a.id}"' in client.get(f"/sessions/{ts.id}/replies").get_data(as_text=True)
    try:
        digests.answers(ts.id, "step", step.id, "colleague")
        raise AssertionError("a private learner's answer was quoted")
    except digests.NothingToShare:
        pass
    assert client.get(path[:-2] + "xx").status_code == 404


def test_the_learner_page_shows_states_and_the_dashboard_lists_falling_sessions(app, logged_in, trainer):
    from drip.models import Step

    ts, step, replies = _past_with_answers(trainer, 4)
    later = Step(
        sequence_id=step.sequence_id,
        kind="reminder",
        channel="sms",
        anchor="end",
        offset="P2D",
        body="Nudge",
        position=1,
    )
    db.session.add(later)
    db.session.commit()
    for reply in replies:  # everyone answered the first step, nobody read or answered the second
        sent_delivery(ts, reply.learner, later)
    page = logged_in.get(f"/learners/{replies[0].learner_id}").get_data(as_text=True)
    assert 'data-state="active"' in page
    dashboard = logged_in.get("/").get_data(as_text=True)
    assert "Engagement falling" in dashboard and "latest step: 0 of 4 read or replied" in dashboard
    assert 'data-testid="falling"' in logged_in.get(f"/sessions/{ts.id}").get_data(as_text=True)


def test_an_email_yes_consents_too(app, client, trainer):
    # The whole reply above the quoted history is the yes (a sentence that goes on is routed as a reply).
    from tests.support.inbound_factory import EMAIL_PATH, inbound_parse_form

    app.config.update(SENDGRID_INBOUND_SECRET="s3cret", INBOUND_EMAIL_DOMAIN="inbound.example.com")
    ts, step, (report,) = _past_with_answers(trainer, 1, kind="practice")
    report.channel = "email"
    report.learner.email = "ada@example.com"
    db.session.commit()
    api = api_for(app.test_client(), trainer)
    assert api.post(f"/replies/{report.id}/testimonial").status_code == 201
    asked = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == "ada@example.com")).one()
    assert asked.subject == "May we share your words?"
    form = inbound_parse_form(
        text="Yes please!\n\nOn Tue, Tess wrote:\n> May I share",
        subject="Re: May we share your words?",
    )
    assert client.post(EMAIL_PATH + "?token=s3cret", data=form, content_type="multipart/form-data").status_code < 300
    drain()  # what a worker does next
    assert [t["status"] for t in api.get("/testimonials").get_json()["items"]] == ["consented"]
