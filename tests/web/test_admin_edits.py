"""Editing and deleting with history kept: unenrol (and back), deleting a step."""

from __future__ import annotations

from drip.extensions import db
from drip.models import Delivery, Enrollment, Step
from drip.services.programs.enrolment import enrol
from tests.conftest import csrf_token
from tests.web.test_api_support import stored_sequence, stored_session
from tests.web.test_sessions import _with_learners


def _deliveries(**where):
    db.session.expire_all()
    return db.session.query(Delivery).filter_by(**where).order_by(Delivery.id).all()


def test_unenrol_skips_what_is_pending_keeps_what_was_sent_and_enrolling_again_brings_them_back(logged_in, trainer):
    ts = stored_session(trainer, sequences=[stored_sequence(trainer)])
    ada, bo = _with_learners(trainer, ts, count=2)
    sent = _deliveries(learner_id=ada.id)[0]
    sent.status = "sent"
    db.session.commit()
    token = csrf_token(logged_in, f"/sessions/{ts.id}")
    response = logged_in.post(
        f"/sessions/{ts.id}/learners/{ada.id}/unenrol", data={"csrf_token": token}, follow_redirects=True
    )
    assert "1 pending message will not be sent" in response.get_data(as_text=True)
    assert [(d.status, d.error_message) for d in _deliveries(learner_id=ada.id)] == [
        ("sent", None),
        ("skipped", "unenrolled"),
    ]
    page = logged_in.get(f"/sessions/{ts.id}").get_data(as_text=True)
    assert "Learners (1)" in page and f'id="cand-{ada.id}"' in page  # offered for enrolment again
    assert {d.status for d in _deliveries(learner_id=bo.id)} == {"scheduled"}
    enrol(ts, [ada])
    assert [d.status for d in _deliveries(learner_id=ada.id)] == ["sent", "scheduled"]
    assert db.session.query(Enrollment).filter_by(session_id=ts.id, unenrolled_at=None).count() == 2


def test_deleting_a_step_skips_its_pending_messages_and_keeps_what_it_sent(logged_in, trainer):
    sequence = stored_sequence(trainer)
    ts = stored_session(trainer, sequences=[sequence])
    ada, bo = _with_learners(trainer, ts, count=2)
    step = sequence.steps[0]
    first = _deliveries(step_id=step.id)[0]
    first.status = "sent"
    db.session.commit()
    token = csrf_token(logged_in, f"/sequences/{sequence.id}")
    response = logged_in.post(
        f"/sequences/{sequence.id}/steps/{step.id}/delete", data={"csrf_token": token}, follow_redirects=True
    )
    assert "1 pending message will not be sent" in response.get_data(as_text=True)
    assert [(d.status, d.error_message) for d in _deliveries(step_id=step.id)] == [
        ("sent", None),
        ("skipped", "step deleted"),
    ]
    assert db.session.get(Step, step.id).deleted_at is not None
    assert step.id not in [s.id for s in db.session.get(type(sequence), sequence.id).steps]
    history = logged_in.get(f"/learners/{first.learner_id}").get_data(as_text=True)
    assert history.count('data-testid="learner-timeline"') == 1 and "sent" in history
    assert logged_in.get(f"/sequences/{sequence.id}/steps/{step.id}").status_code == 404
    assert logged_in.get(f"/sequences/{sequence.id}/steps/{sequence.steps[-1].id}").status_code == 200


def test_archive_a_sequence_and_a_past_session_then_restore(logged_in, trainer):
    from datetime import timedelta

    from drip.models import TrainingSession, utcnow

    sequence = stored_sequence(trainer, name="Old programme")
    upcoming = stored_session(trainer, sequences=[sequence], title="Still to come")
    past = stored_session(trainer, title="Long done")
    past.starts_at, past.ends_at = utcnow() - timedelta(days=3), utcnow() - timedelta(days=3) + timedelta(hours=2)
    db.session.commit()
    token = csrf_token(logged_in, "/sessions")
    archived = logged_in.post(f"/sequences/{sequence.id}/archive", data={"csrf_token": token}, follow_redirects=True)
    assert "Archived “Old programme”" in archived.get_data(as_text=True)
    assert "Old programme" not in logged_in.get("/sequences").get_data(as_text=True)
    assert "Old programme" not in logged_in.get("/sessions/new").get_data(as_text=True)
    assert "Old programme" in logged_in.get(f"/sessions/{upcoming.id}/edit").get_data(as_text=True)  # still attached
    refused = logged_in.post(f"/sessions/{upcoming.id}/archive", data={"csrf_token": token}, follow_redirects=True)
    assert "cancel it first" in refused.get_data(as_text=True)
    assert db.session.get(TrainingSession, upcoming.id).archived_at is None
    logged_in.post(f"/sessions/{past.id}/archive", data={"csrf_token": token}, follow_redirects=True)
    listed = logged_in.get("/sessions").get_data(as_text=True)
    assert "Long done" not in listed and "Archive (2)" in listed
    archive = logged_in.get("/archive").get_data(as_text=True)
    assert "Long done" in archive and "Old programme" in archive
    logged_in.post(f"/sessions/{past.id}/restore", data={"csrf_token": token})
    assert "Long done" in logged_in.get("/sessions").get_data(as_text=True)


def test_a_cancelled_future_session_is_listed_as_cancelled_not_past(logged_in, trainer):
    from drip.services.programs.sessions import cancel_session

    cancel_session(stored_session(trainer, title="Called off"))
    page = logged_in.get("/sessions").get_data(as_text=True)
    assert page.index("Past") < page.index("Cancelled") < page.index("Called off")


def test_the_dashboard_keeps_a_session_live_for_15_minutes_after_its_end(logged_in, trainer):
    from datetime import timedelta

    from drip.models import utcnow

    ts = stored_session(trainer, title="Just ended")
    ts.starts_at, ts.ends_at = utcnow() - timedelta(hours=2), utcnow() - timedelta(minutes=5)
    db.session.commit()
    page = logged_in.get("/").get_data(as_text=True)
    assert "Just ended" in page and "live now" in page


def test_while_unenrolled_a_move_leaves_them_alone_and_enrolling_again_follows_the_session_as_it_is(trainer):
    from datetime import timedelta

    from drip.services.learners.edits import unenrol
    from drip.services.programs.sequences import delete_step
    from drip.services.programs.sessions import update_session

    sequence = stored_sequence(trainer)
    ts = stored_session(trainer, sequences=[sequence])
    ada, bo = _with_learners(trainer, ts, count=2)
    unenrol(ts, ada)
    gone = sequence.steps[0]
    delete_step(gone)
    update_session(ts, starts_at=ts.starts_at + timedelta(days=1))
    assert {(d.status, d.error_code) for d in _deliveries(learner_id=ada.id)} == {("skipped", "unenrolled")}
    enrol(ts, [ada])
    mine = {d.step_id: d for d in _deliveries(learner_id=ada.id)}
    theirs = {d.step_id: d for d in _deliveries(learner_id=bo.id) if d.status == "scheduled"}
    assert (mine[gone.id].status, mine[gone.id].error_code) == ("skipped", "unenrolled")  # a deleted step stays gone
    assert {s: d.due_at for s, d in mine.items() if d.status == "scheduled"} == {s: d.due_at for s, d in theirs.items()}
