"""Quiz steps end to end: the verdict by return, spaced re-asks, a right answer ends them, quiz-results."""

from __future__ import annotations

from datetime import timedelta

from drip.extensions import db
from drip.services.programs.enrolment import enrol
from tests.support.engine_factory import make_learners
from tests.support.inbound_factory import post_sms
from tests.support.quiz_support import quiz_step, rows, send_due, session_with, texts_to
from tests.web.test_api_support import api  # noqa: F401


def test_wrong_then_right_after_a_reask_and_right_at_once_never_reasked(app, client, api):
    ts = session_with(api.trainer, [quiz_step()])
    ada, bo = make_learners(api.trainer, 2)
    enrol(ts, [ada, bo])
    quiz = rows(ada, "step")[0]
    reasks = rows(ada, "reask")
    # Planned with the step: after retry_after, then twice as long after that.
    assert [(d.attempt, d.due_at - quiz.due_at) for d in reasks] == [(1, timedelta(days=1)), (2, timedelta(days=3))]

    assert send_due(quiz.due_at) == {"not_ours": 0, "delivered": 2}
    assert texts_to(ada.phone)[0].endswith(
        "A) Re-read the notes\nB) Try it for real within days\nC) Wait until ready\nReply A, B or C."
    )
    # A choice's text is stored by the webhook and routed by a worker: the verdict goes by the SMS API.
    wrong = post_sms(client, app, "a", sender=ada.phone)
    assert "<Message>" not in wrong.get_data(as_text=True)
    assert texts_to(ada.phone)[-1] == "Not quite: Using it soon is what makes it stay."
    right = post_sms(client, app, "B", sender=bo.phone)
    assert "<Message>" not in right.get_data(as_text=True)
    assert texts_to(bo.phone)[-1] == "Right! Using it soon is what makes it stay."
    assert {(d.attempt, d.status, d.error_message) for d in rows(bo, "reask")} == {
        (1, "skipped", "answered right"),
        (2, "skipped", "answered right"),
    }

    # The day after: only Ada, who answered wrong, is asked again.
    assert send_due(quiz.due_at + timedelta(days=1)) == {"not_ours": 0, "delivered": 1}
    assert len(texts_to(ada.phone)) == 3 and len(texts_to(bo.phone)) == 2  # the step, its verdict (Ada: a re-ask)
    again = post_sms(client, app, "Try it for real within days", sender=ada.phone)
    assert "Right!" not in again.get_data(as_text=True)
    assert texts_to(ada.phone)[-1] == "Right! Using it soon is what makes it stay."
    assert len(texts_to(ada.phone)) == 4
    assert [(d.attempt, d.status) for d in rows(ada, "reask")] == [(1, "delivered"), (2, "skipped")]
    assert send_due(quiz.due_at + timedelta(days=5)) == {}  # nothing left for anyone

    results = api.get(f"/sessions/{ts.id}/quiz-results").get_json()
    (step,) = results["quizzes"]
    assert (step["asked"], step["answered"], step["correct_first_try"], step["correct_after_reask"]) == (2, 2, 1, 1)
    assert step["most_chosen_wrong"] == {"index": 0, "letter": "A", "text": "Re-read the notes", "count": 1}
    by_name = {row["learner"]["id"]: row for row in results["learners"]}
    assert (by_name[ada.id]["answered"], by_name[ada.id]["correct"]) == (1, 1)
    listed = api.get(f"/sessions/{ts.id}/deliveries?step_id={quiz.step_id}&limit=10").get_json()["items"]
    assert sorted((d["learner"]["id"], d["purpose"], d["attempt"], d["status"]) for d in listed) == sorted(
        [
            (ada.id, "step", 0, "delivered"),
            (ada.id, "reask", 1, "delivered"),
            (ada.id, "reask", 2, "skipped"),
            (bo.id, "step", 0, "delivered"),
            (bo.id, "reask", 1, "skipped"),
            (bo.id, "reask", 2, "skipped"),
        ]
    )


def test_a_repeated_webhook_or_second_answer_gets_no_second_verdict(app, client, trainer):
    ts = session_with(trainer, [quiz_step()])
    (ada,) = make_learners(trainer, 1)
    enrol(ts, [ada])
    send_due(rows(ada, "step")[0].due_at)
    first = post_sms(client, app, "C", sender=ada.phone, sid="SM" + "1" * 32)
    repeat = post_sms(client, app, "C", sender=ada.phone, sid="SM" + "1" * 32)
    second = post_sms(client, app, "B", sender=ada.phone)  # a correction after the verdict
    for response in (first, repeat, second):
        assert response.status_code == 200 and "<Message>" not in response.get_data(as_text=True)
    # One verdict, through the SMS API, for the first answer only.
    assert [text for text in texts_to(ada.phone) if text.startswith(("Right", "Not quite"))] == [
        "Not quite: Using it soon is what makes it stay."
    ]
    # Only the first answer to an ask counts: she is still asked again.
    assert [d.status for d in rows(ada, "reask")] == ["scheduled", "scheduled"]
    assert send_due(rows(ada, "reask")[0].due_at)["delivered"] == 1


def test_unanswered_quiz_is_reasked_twice_at_most_and_cancel_stops_it(app, trainer):
    ts = session_with(trainer, [quiz_step(retry_after="PT30S")])
    ada, bo = make_learners(trainer, 2)
    enrol(ts, [ada, bo])
    due = rows(ada, "step")[0].due_at
    assert send_due(due)["delivered"] == 2
    assert send_due(due + timedelta(seconds=30))["delivered"] == 2
    from drip.services.programs.sessions import cancel_session

    cancel_session(ts)
    assert send_due(due + timedelta(days=1)) == {}
    assert [d.status for d in rows(ada, "reask")] == ["delivered", "skipped"]
    assert len(texts_to(ada.phone)) == 2
    db.session.rollback()


def test_an_email_quiz_answer_gets_the_verdict_by_email_once(app, trainer):
    from sqlalchemy import select

    from drip.channels.sendgrid_inbound import parse_inbound
    from drip.models import OutboxMessage
    from drip.services.inbound.receive import receive_email
    from tests.support.inbound_factory import inbound_parse_form

    app.config["INBOUND_EMAIL_DOMAIN"] = "in.example.com"
    ts = session_with(trainer, [quiz_step(channel="email", subject="Quick check")])
    (ada,) = make_learners(trainer, 1)
    enrol(ts, [ada])
    quiz = rows(ada, "step")[0]
    send_due(quiz.due_at)
    form = inbound_parse_form(
        text="B\n\nOn Tue, Tess wrote:\n> What makes a skill stick?",
        sender=ada.email,
        to=f"reply+{quiz.reply_token}@in.example.com",
        message_id="<m1@mail.example.com>",
    )
    for _ in range(2):  # the same email twice: one verdict
        assert receive_email(parse_inbound(form)).kind == "quiz_answer"
    sent = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to_address == ada.email).order_by(OutboxMessage.id)
    ).all()
    assert [m.subject for m in sent] == ["Quick check", "Your quiz answer"]
    assert sent[0].body.startswith("What makes a skill stick?\nA) Re-read the notes")
    # Each choice is also a link that writes the reply to the quiz's own address.
    assert (
        f'href="mailto:reply+{quiz.reply_token}@in.example.com?subject=Re%3A%20Quick%20check&amp;body=B"'
        in sent[0].html
    )
    assert sent[1].body.startswith("Right! Using it soon is what makes it stay.")
    assert [d.status for d in rows(ada, "reask")] == ["skipped", "skipped"]


def test_after_a_backlog_the_quiz_goes_alone_its_reasks_never_pile_up(app, trainer):
    ts = session_with(trainer, [quiz_step(follow_up={"after": "P1D", "body": "Still there?"})])
    (ada,) = make_learners(trainer, 1)
    enrol(ts, [ada])
    quiz = rows(ada, "step")[0]
    # Workers were down: the quiz, both re-asks and the follow-up are all due when they come back.
    assert send_due(quiz.due_at + timedelta(days=4)) == {"not_ours": 0, "delivered": 1, "skipped": 3}
    assert len(texts_to(ada.phone)) == 1
    assert {d.error_code for d in rows(ada) if d.purpose != "step"} <= {"piled", "not_asked"}


def test_a_late_enrolment_skips_a_past_quiz_with_its_reasks(app, trainer):
    ts = session_with(trainer, [quiz_step(offset="-P1D", anchor="start")], starts_in=timedelta(hours=2))
    (ada,) = make_learners(trainer, 1)
    enrol(ts, [ada])
    assert {(d.purpose, d.status, d.error_code) for d in rows(ada)} == {
        ("step", "skipped", "late"),
        ("reask", "skipped", "late"),
    }


def test_reasks_move_with_a_session_until_their_quiz_is_sent_then_stay(app, trainer):
    from drip.services.programs.sessions import update_session

    ts = session_with(trainer, [quiz_step()])
    (ada,) = make_learners(trainer, 1)
    enrol(ts, [ada])
    before = [d.due_at for d in rows(ada)]
    update_session(ts, starts_at=ts.starts_at + timedelta(hours=3))
    assert [d.due_at for d in rows(ada)] == [due + timedelta(hours=3) for due in before]
    send_due(rows(ada, "step")[0].due_at)
    asked = [d.due_at for d in rows(ada, "reask")]
    update_session(ts, starts_at=ts.starts_at + timedelta(days=1))
    assert [d.due_at for d in rows(ada, "reask")] == asked  # they count from the quiz that went out


def test_editing_a_quiz_moves_pending_reasks_and_removing_a_follow_up_skips_it(app, trainer):
    from drip.services.programs.sequences import save_step

    ts = session_with(trainer, [quiz_step(follow_up={"after": "P1D", "body": "Still there?"})])
    (ada,) = make_learners(trainer, 1)
    enrol(ts, [ada])
    step = ts.sequences[0].steps[0]
    quiz = rows(ada, "step")[0]
    save_step(ts.sequences[0], quiz_step(retry_after="P3D"), step)
    assert [d.due_at - quiz.due_at for d in rows(ada, "reask")] == [timedelta(days=3), timedelta(days=9)]
    assert [(d.status, d.error_code) for d in rows(ada, "follow_up")] == [("skipped", "removed")]


def test_a_stop_posted_before_a_stored_answer_is_routed_keeps_its_verdict_from_going_out(app, client, trainer):
    from sqlalchemy import select

    from drip.models import Learner, Reply
    from tests.support.webhook_drain import drain

    ts = session_with(trainer, [quiz_step()])
    (ada,) = make_learners(trainer, 1)
    enrol(ts, [ada])
    send_due(rows(ada, "step")[0].due_at)
    asked = texts_to(ada.phone)
    assert post_sms(client, app, "B", sender=ada.phone, apply=False).status_code == 200  # stored for a worker
    assert post_sms(client, app, "STOP", sender=ada.phone, apply=False).status_code == 200  # applied in the request
    db.session.expire_all()
    assert db.session.get(Learner, ada.id).sms_opted_out_at is not None
    assert drain() == 1
    assert texts_to(ada.phone) == asked  # the answer counts, but nothing is texted after a STOP
    assert db.session.scalars(select(Reply.kind)).all() == ["quiz_answer"]
