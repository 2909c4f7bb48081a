"""POST/GET /api/v1/sessions, PATCH (reschedules), cancel."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from drip.extensions import db
from drip.models import Delivery, TrainingSession
from tests.web.test_api_support import api, other_api, stored_sequence  # noqa: F401

START = "2030-03-12T09:30:00-04:00"
END = "2030-03-12T12:00:00-04:00"


def new_session(api, **overrides):
    """POST a session and return the response."""
    body = {
        "title": "Giving feedback",
        "starts_at": START,
        "ends_at": END,
        "timezone": "America/New_York",
        "sequence_ids": [],
        **overrides,
    }
    return api.post("/sessions", json=body)


def test_create_a_session_with_sequences(api):
    sequence = stored_sequence(api.trainer)
    response = new_session(
        api,
        sequence_ids=[sequence.id],
        join_url="https://meet.example.com/x",
        starts_at="2030-03-12T13:30:00Z",
        ends_at="2030-03-12T16:00:00Z",
    )
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    # Times come back in the session's own zone, with their offset.
    assert (created["starts_at"], created["ends_at"]) == ("2030-03-12T09:30:00-04:00", "2030-03-12T12:00:00-04:00")
    assert created["sequence_ids"] == [sequence.id]
    assert (created["status"], created["phase"], created["enrolled"]) == ("scheduled", "upcoming", 0)
    assert created["join_url"] == "https://meet.example.com/x"
    assert api.get(f"/sessions/{created['id']}").get_json() == created


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"starts_at": "2030-03-12T09:30:00"}, "starts_at"),
        ({"ends_at": "2030-03-12 12:00"}, "ends_at"),
        ({"starts_at": "next tuesday"}, "starts_at"),
        ({"starts_at": 1900000000}, "starts_at"),
        ({"starts_at": "0001-01-01T00:00:00+14:00"}, "starts_at"),
        ({"ends_at": "2030-03-12T08:00:00-04:00"}, "ends_at"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": "../../etc/passwd"}, "timezone"),
        ({"title": "   "}, "title"),
        ({"title": None}, "title"),
        ({"sequence_ids": [0]}, "sequence_ids[0]"),
        ({"sequence_ids": "1"}, "sequence_ids"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_session_fields_are_refused_by_name(api, overrides, field):
    response = new_session(api, **overrides)
    assert response.status_code == 422, response.get_json()
    assert field in [p["field"] for p in response.get_json()["details"]]
    assert db.session.scalar(db.select(db.func.count()).select_from(TrainingSession)) == 0


def test_a_naive_time_is_refused_with_a_clear_reason(api):
    details = new_session(api, starts_at="2030-03-12T09:30:00").get_json()["details"]
    assert details == [{"field": "starts_at", "message": "Input should have timezone info"}]


def test_another_trainers_sequence_is_not_found(api, other_api):
    theirs = stored_sequence(other_api.trainer)
    response = new_session(api, sequence_ids=[theirs.id])
    assert response.status_code == 404
    assert str(theirs.id) in response.get_json()["details"]


def _enrol_two(api, session_id):
    learners = [{"name": "Ada Lovelace", "phone": "+14155550101"}, {"name": "Bo Chen", "phone": "+14155550102"}]
    assert api.post(f"/sessions/{session_id}/enrollments", json={"learners": learners}).status_code == 201


def test_moving_a_session_reschedules_every_unsent_step(api):
    sequence = stored_sequence(api.trainer, kinds=("reminder", "reminder"))
    created = new_session(api, sequence_ids=[sequence.id]).get_json()
    _enrol_two(api, created["id"])
    before = {d.id: d.due_at for d in db.session.scalars(db.select(Delivery))}
    sent = db.session.scalars(db.select(Delivery).order_by(Delivery.id)).first()
    sent.status = "sent"
    db.session.commit()
    response = api.patch(
        f"/sessions/{created['id']}",
        json={"starts_at": "2030-03-13T09:30:00-04:00", "ends_at": "2030-03-13T12:00:00-04:00"},
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["starts_at"] == "2030-03-13T09:30:00-04:00"
    db.session.expire_all()
    after = {d.id: (d.due_at, d.status) for d in db.session.scalars(db.select(Delivery))}
    for delivery_id, due in before.items():
        if delivery_id == sent.id:
            assert after[delivery_id] == (due, "sent")  # what has gone stays as it was
        else:
            assert after[delivery_id] == (due + timedelta(days=1), "scheduled")


def test_patch_changes_only_what_is_given(api):
    created = new_session(api).get_json()
    response = api.patch(f"/sessions/{created['id']}", json={"title": "Feedback that lands", "starts_at": None})
    assert response.status_code == 200
    changed = response.get_json()
    assert changed["title"] == "Feedback that lands"
    assert {k: v for k, v in changed.items() if k != "title"} == {k: v for k, v in created.items() if k != "title"}


def test_patch_refuses_an_end_before_the_start(api):
    created = new_session(api).get_json()
    response = api.patch(f"/sessions/{created['id']}", json={"ends_at": "2030-03-11T09:00:00Z"})
    assert response.status_code == 422
    assert [p["field"] for p in response.get_json()["details"]] == ["ends_at"]
    assert api.get(f"/sessions/{created['id']}").get_json()["ends_at"] == END


def test_patch_replaces_the_sequences(api):
    first, second = stored_sequence(api.trainer, "First"), stored_sequence(api.trainer, "Second")
    created = new_session(api, sequence_ids=[first.id]).get_json()
    changed = api.patch(f"/sessions/{created['id']}", json={"sequence_ids": [second.id, first.id]}).get_json()
    assert changed["sequence_ids"] == sorted([first.id, second.id])


def test_cancel_skips_pending_deliveries_once(api):
    sequence = stored_sequence(api.trainer)
    created = new_session(api, sequence_ids=[sequence.id]).get_json()
    _enrol_two(api, created["id"])
    first = api.post(f"/sessions/{created['id']}/cancel")
    assert first.status_code == 200
    assert (first.get_json()["status"], first.get_json()["phase"]) == ("cancelled", "cancelled")
    assert first.get_json()["skipped_deliveries"] == 4
    again = api.post(f"/sessions/{created['id']}/cancel").get_json()
    assert again["skipped_deliveries"] == 0
    assert {d.status for d in db.session.scalars(db.select(Delivery))} == {"skipped"}
    refused = api.patch(f"/sessions/{created['id']}", json={"title": "Back on"})
    assert refused.status_code == 409


def test_list_sessions_is_paginated_and_counts_enrolments(api, other_api):
    ids = [new_session(api, title=f"S{n}").get_json()["id"] for n in range(3)]
    new_session(other_api, title="Theirs")
    _enrol_two(api, ids[0])
    first = api.get("/sessions?limit=2").get_json()
    assert [s["title"] for s in first["items"]] == ["S0", "S1"]
    assert first["items"][0]["enrolled"] == 2
    rest = api.get(f"/sessions?limit=2&cursor={first['next_cursor']}").get_json()
    assert [s["title"] for s in rest["items"]] == ["S2"] and rest["next"] is None


def test_a_session_running_now_is_live(api):
    now = datetime.now().astimezone()
    created = new_session(
        api, starts_at=(now - timedelta(minutes=5)).isoformat(), ends_at=(now + timedelta(hours=1)).isoformat()
    ).get_json()
    assert created["phase"] == "live"
