"""Editing and deleting with history kept: unenrol (and back), deleting a step."""
from __future__ import annotations

from drip.extensions import db
from drip.models import Delivery, Enrollment, Step
from drip.services.enrolment import enrol
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
    response = logged_in.post(f"/sessions/{ts.id}/learners/{ada.id}/unenrol", data={"csrf_token": token}, follow_redirects=True)
    assert "1 pending message will not be sent" in response.get_data(as_text=True)
    assert [(d.status, d.error_message) for d in _deliveries(learner_id=ada.id)] == [("sent", None), ("skipped", "unenrolled")]
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
    response = logged_in.post(f"/sequences/{sequence.id}/steps/{step.id}/delete", data={"csrf_token": token},
                              follow_redirects=True)
    assert "1 pending message will not be sent" in response.get_data(as_text=True)
    assert [(d.status, d.error_message) for d in _deliveries(step_id=step.id)] == [("sent", None), ("skipped", "step deleted")]
    assert db.session.get(Step, step.id).deleted_at is not None
    assert step.id not in [s.id for s in db.session.get(type(sequence), sequence.id).steps]
    history = logged_in.get(f"/learners/{first.learner_id}").get_data(as_text=True)
    assert history.count('data-testid="learner-timeline"') == 1 and "sent" in history
    assert logged_in.get(f"/sequences/{sequence.id}/steps/{step.id}").status_code == 404
    assert logged_in.get(f"/sequences/{sequence.id}/steps/{sequence.steps[-1].id}").status_code == 200
