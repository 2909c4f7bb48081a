"""Learners' data rights: export as JSON and erase (admin and API), counts kept, opt-outs surviving as hashes, audited."""

from __future__ import annotations

from drip.extensions import db
from drip.models import AuditEvent, Delivery, InboundMessage, Learner, Reply, SuppressedAddress
from drip.services.programs.enrolment import enrol
from drip.services.learners.upsert import LearnerInput, upsert_learners
from drip.services.inbound.optout import opt_out_sms
from tests.conftest import csrf_token
from tests.web.test_api_support import api, other_api, stored_sequence, stored_session  # noqa: F401


def _learner_with_history(trainer):
    ts = stored_session(trainer, sequences=[stored_sequence(trainer)])
    [(learner, _)] = upsert_learners(
        trainer, [LearnerInput("Ada Lovelace", "+14155550101", "ada@example.com", external_id="hr-7")]
    )
    enrol(ts, [learner])
    db.session.add(
        Reply(
            trainer_id=trainer.id,
            session_id=ts.id,
            learner_id=learner.id,
            kind="practice_report",
            channel="sms",
            body="I tried it on Monday with my team",
        )
    )
    db.session.add(
        InboundMessage(
            channel="sms",
            provider_message_id="SM1",
            from_address="+14155550101",
            body="I tried it on Monday with my team",
            raw={"Body": "x"},
            learner_id=learner.id,
        )
    )
    db.session.commit()
    return ts, learner


def test_api_export_holds_everything_and_is_audited(api):  # noqa: F811
    ts, learner = _learner_with_history(api.trainer)
    response = api.get(f"/learners/{learner.id}/export")
    assert response.status_code == 200
    data = response.get_json()
    assert data["learner"]["phone"] == "+14155550101" and data["learner"]["external_id"] == "hr-7"
    assert [e["session_id"] for e in data["enrollments"]] == [ts.id]
    assert len(data["messages"]) == 2 and data["replies"][0]["text"].startswith("I tried it")
    assert data["inbound_messages"][0]["from"] == "+14155550101"
    assert [(e.action, e.via) for e in db.session.scalars(db.select(AuditEvent))] == [("export", "api")]


def test_api_erase_removes_personal_data_and_texts_but_keeps_counts(api):  # noqa: F811
    ts, learner = _learner_with_history(api.trainer)
    deliveries = db.session.query(Delivery).filter_by(learner_id=learner.id).count()
    response = api._call("DELETE", f"/learners/{learner.id}")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["skipped_deliveries"] == deliveries  # nothing had gone out yet
    db.session.expire_all()
    erased = db.session.get(Learner, learner.id)
    assert (erased.name, erased.phone, erased.email, erased.external_id) == ("Erased learner", None, None, None)
    assert db.session.query(Delivery).filter_by(learner_id=learner.id).count() == deliveries
    assert {d.status for d in db.session.query(Delivery).filter_by(learner_id=learner.id)} == {"skipped"}
    assert [r.body for r in db.session.query(Reply).filter_by(learner_id=learner.id)] == [""]
    assert [(m.body, m.from_address) for m in db.session.query(InboundMessage)] == [("", "")]
    again = api._call("DELETE", f"/learners/{learner.id}")
    assert again.status_code == 200 and again.get_json()["skipped_deliveries"] == 0
    assert [e.action for e in db.session.scalars(db.select(AuditEvent))] == ["erase"]
    assert "+14155550101" not in str(api.get(f"/learners/{learner.id}/export").get_json())


def test_another_trainers_learner_is_not_found(api, other_api):  # noqa: F811
    _, learner = _learner_with_history(api.trainer)
    assert other_api.get(f"/learners/{learner.id}/export").status_code == 404
    assert other_api._call("DELETE", f"/learners/{learner.id}").status_code == 404
    assert db.session.get(Learner, learner.id).phone == "+14155550101"


def test_an_opt_out_survives_erasure_as_a_hash_only(api):  # noqa: F811
    _, learner = _learner_with_history(api.trainer)
    opt_out_sms("+14155550101", source="sms_keyword")
    api._call("DELETE", f"/learners/{learner.id}")
    [suppressed] = db.session.scalars(db.select(SuppressedAddress)).all()
    assert "4155550101" not in suppressed.address_hash
    # The HR system enrols the same person again: the STOP still holds, for SMS only.
    [(again, created)] = upsert_learners(api.trainer, [LearnerInput("Ada L.", "+14155550101", "ada@example.com")])
    assert created and again.sms_opted_out_at is not None and again.email_opted_out_at is None


def test_admin_export_edit_and_erase(logged_in, trainer):
    _, learner = _learner_with_history(trainer)
    page = logged_in.get(f"/learners/{learner.id}").get_data(as_text=True)
    assert "Export their data" in page and "Erase learner" in page
    download = logged_in.get(f"/learners/{learner.id}/export")
    assert (
        download.headers["Content-Disposition"].startswith("attachment")
        and download.get_json()["learner"]["name"] == "Ada Lovelace"
    )
    token = csrf_token(logged_in, f"/learners/{learner.id}/edit")
    refused = logged_in.post(
        f"/learners/{learner.id}/edit", data={"csrf_token": token, "name": "Ada", "phone": "+44 20 79"}
    )
    assert refused.status_code == 422 and db.session.get(Learner, learner.id).name == "Ada Lovelace"
    saved = logged_in.post(
        f"/learners/{learner.id}/edit",
        data={
            "csrf_token": token,
            "name": "Ada King",
            "phone": "+1 415 555 0199",
            "email": "",
            "timezone": "europe/london",
        },
    )
    assert saved.status_code == 302
    db.session.expire_all()
    edited = db.session.get(Learner, learner.id)
    assert (edited.name, edited.phone, edited.email, edited.timezone) == (
        "Ada King",
        "+14155550199",
        None,
        "Europe/London",
    )
    not_confirmed = logged_in.post(f"/learners/{learner.id}/erase", data={"csrf_token": token, "confirm": "yes"})
    assert not_confirmed.status_code == 302 and db.session.get(Learner, learner.id).erased_at is None
    logged_in.post(f"/learners/{learner.id}/erase", data={"csrf_token": token, "confirm": "ERASE"})
    db.session.expire_all()
    assert db.session.get(Learner, learner.id).erased_at is not None
    log = logged_in.get("/learners/audit").get_data(as_text=True)
    assert "Exported" in log and "Erased" in log and "the admin" in log
