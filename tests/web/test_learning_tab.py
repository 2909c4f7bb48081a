"""The session's Learning tab and the learner page's "quiet since", after simulated answers."""

from __future__ import annotations

from datetime import timedelta

from drip.services import accounts
from drip.services.programs.enrolment import enrol
from drip.services.programs.sequences import StepInput
from tests.conftest import login
from tests.support.engine_factory import make_learners
from tests.support.inbound_factory import post_sms
from tests.support.quiz_support import quiz_step, rows, send_due, session_with


def test_learning_tab_charts_quiz_results_and_learner_page_says_quiet(app, logged_in, trainer):
    steps = [
        StepInput("poll", "sms", "start", "-P3D", "Which? {{ reply_hint }}", choices=["Tea", "Coffee"]),
        StepInput("discussion", "sms", "start", "-P2D", "What went well?"),
        quiz_step(),
    ]
    ts = session_with(trainer, steps)
    first, later, wrong, silent = make_learners(trainer, 4)
    enrol(ts, [first, later, wrong, silent])
    poll, discussion, quiz = rows(silent, "step")
    send_due(poll.due_at)
    send_due(discussion.due_at)
    send_due(quiz.due_at)
    post_sms(logged_in, app, "B", sender=first.phone)
    post_sms(logged_in, app, "A", sender=later.phone)
    post_sms(logged_in, app, "C", sender=wrong.phone)
    send_due(quiz.due_at + timedelta(days=1))
    post_sms(logged_in, app, "B", sender=later.phone)
    post_sms(logged_in, app, "A", sender=wrong.phone)

    page = logged_in.get(f"/sessions/{ts.id}/learning").get_data(as_text=True)
    assert '<strong data-part="first">25%</strong> (1)' in page
    assert '<strong data-part="reask">25%</strong> (1)' in page
    assert '<strong data-part="wrong">25%</strong> (1)' in page and '<strong data-part="none">25%</strong> (1)' in page
    assert '<span data-testid="most-wrong">A) Re-read the notes</span>' in page
    assert page.count('data-testid="quiet"') == 1 and "<svg" in page
    assert "Learning" in logged_in.get(f"/sessions/{ts.id}").get_data(as_text=True)
    learner_page = logged_in.get(f"/learners/{silent.id}").get_data(as_text=True)
    assert "Quiet since" in learner_page and "re-ask 1" in learner_page
    assert "Quiet since" not in logged_in.get(f"/learners/{first.id}").get_data(as_text=True)


def test_another_trainers_learning_tab_is_not_found(app, client, trainer):
    ts = session_with(trainer, [quiz_step()])
    accounts.create_trainer("other@example.com", "another password", "Otto Other")
    assert login(client, "other@example.com", "another password").status_code == 302
    assert client.get(f"/sessions/{ts.id}/learning").status_code == 404


def test_a_deleted_quiz_keeps_its_results_and_its_re_asks_stop_an_unenrolled_learner_leaves_the_list(
    app, logged_in, trainer
):
    from drip.extensions import db
    from drip.models import Step
    from drip.services.learners.edits import unenrol
    from drip.services.learning.results import quiz_results
    from drip.services.programs.sequences import delete_step

    ts = session_with(trainer, [quiz_step()])
    right, silent, gone = make_learners(trainer, 3)
    enrol(ts, [right, silent, gone])
    (quiz,) = rows(silent, "step")
    send_due(quiz.due_at)
    post_sms(logged_in, app, "B", sender=right.phone)
    unenrol(ts, gone)
    delete_step(db.session.get(Step, quiz.step_id))
    assert {(d.status, d.error_code) for d in rows(silent, "reask")} == {("skipped", "step_deleted")}
    results = quiz_results(ts)
    assert [q.step.id for q in results.quizzes] == [quiz.step_id]
    assert {r.learner.id for r in results.learners} == {right.id, silent.id}
