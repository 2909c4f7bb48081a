"""POST /api/v1/sessions/{id}/enrollments: all or nothing, idempotent, one delivery per step."""

from __future__ import annotations

import pytest

from drip.extensions import db
from drip.models import Delivery, Enrollment, Learner
from tests.web.test_api_support import api, stored_sequence, stored_session  # noqa: F401

THREE = [
    {"external_id": "hr-1", "name": "Ada Lovelace", "phone": "+1 415 555 0101", "timezone": "America/Los_Angeles"},
    {"name": "Bo Chen", "email": "Bo.Chen@Example.com"},
    {"name": "Cy Diallo", "phone": "(415) 555-0103", "email": "cy@example.com"},
]


def count(model) -> int:
    """Rows of a table."""
    return db.session.scalar(db.select(db.func.count()).select_from(model))


@pytest.fixture()
def session_id(api) -> int:
    """A session of the API's trainer with a two-step sequence."""
    return stored_session(api.trainer, sequences=[stored_sequence(api.trainer)]).id


def test_enrol_three_learners(api, session_id):
    response = api.post(f"/sessions/{session_id}/enrollments", json={"learners": THREE})
    assert response.status_code == 201, response.get_json()
    result = response.get_json()
    assert (result["enrolled"], result["already_enrolled"]) == (3, 0)
    assert [(r["index"], r["name"], r["status"], r["learner_created"]) for r in result["learners"]] == [
        (0, "Ada Lovelace", "enrolled", True),
        (1, "Bo Chen", "enrolled", True),
        (2, "Cy Diallo", "enrolled", True),
    ]
    stored = {learner.name: learner for learner in db.session.scalars(db.select(Learner))}
    assert stored["Ada Lovelace"].phone == "+14155550101"  # normalised by the learners service
    assert stored["Bo Chen"].email == "bo.chen@example.com"
    assert count(Delivery) == 3 * 2
    assert {e.source for e in db.session.scalars(db.select(Enrollment))} == {"api"}
    assert api.get(f"/sessions/{session_id}").get_json()["enrolled"] == 3


def test_enrolling_again_changes_nothing_and_says_so(api, session_id):
    api.post(f"/sessions/{session_id}/enrollments", json={"learners": THREE})
    before = [(d.id, d.due_at, d.status) for d in db.session.scalars(db.select(Delivery).order_by(Delivery.id))]
    again = api.post(f"/sessions/{session_id}/enrollments", json={"learners": THREE})
    assert again.status_code == 200
    result = again.get_json()
    assert (result["enrolled"], result["already_enrolled"]) == (0, 3)
    assert {(r["status"], r["learner_created"]) for r in result["learners"]} == {("already_enrolled", False)}
    assert [(d.id, d.due_at, d.status) for d in db.session.scalars(db.select(Delivery).order_by(Delivery.id))] == before
    assert count(Learner) == 3


def test_the_same_learner_is_found_by_external_id_else_phone_else_email(api, session_id):
    api.post(f"/sessions/{session_id}/enrollments", json={"learners": THREE})
    same = [
        {"external_id": "hr-1", "name": "Ada L.", "phone": "+14155550199"},  # same external id, new phone
        {"name": "Bo Chen", "email": "bo.chen@example.com"},  # same email
        {"name": "Cy", "phone": "+14155550103"},  # same phone
        {"name": "Di New", "email": "di@example.com"},
    ]
    result = api.post(f"/sessions/{session_id}/enrollments", json={"learners": same}).get_json()
    assert [r["status"] for r in result["learners"]] == ["already_enrolled"] * 3 + ["enrolled"]
    assert (result["enrolled"], result["already_enrolled"]) == (1, 3)
    assert count(Learner) == 4


def test_the_same_learner_twice_in_one_request_is_enrolled_once(api, session_id):
    rows = [{"name": "Ada", "phone": "+14155550101"}, {"name": "Ada", "phone": "+1 (415) 555-0101"}]
    result = api.post(f"/sessions/{session_id}/enrollments", json={"learners": rows}).get_json()
    assert [r["status"] for r in result["learners"]] == ["enrolled", "already_enrolled"]
    assert result["learners"][0]["learner_id"] == result["learners"][1]["learner_id"]
    assert count(Enrollment) == 1


def test_one_bad_row_stores_nothing_and_every_bad_row_is_listed(api, session_id):
    rows = [
        THREE[0],
        {"name": "No Contact"},
        THREE[1],
        {"name": "Bad", "phone": "12", "email": "not-an-email", "timezone": "Mars/Base"},
    ]
    response = api.post(f"/sessions/{session_id}/enrollments", json={"learners": rows})
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "2 learners are not valid; nothing was stored"
    assert [row["index"] for row in body["details"]] == [1, 3]
    assert set(body["details"][1]["errors"]) == {"phone", "email", "timezone"}
    assert (count(Learner), count(Enrollment), count(Delivery)) == (0, 0, 0)


def test_rows_of_the_wrong_shape_are_listed_by_index_too(api, session_id):
    rows = [
        {"name": "Ok", "phone": "+14155550101"},
        {"phone": "+14155550102"},
        {"name": "X", "phone": 4155550103},
        {"name": "Y", "email": "y@example.com", "shoe_size": 42},
        {"name": "Z", "email": "bad"},
        "just text",
    ]
    response = api.post(f"/sessions/{session_id}/enrollments", json={"learners": rows})
    assert response.status_code == 422
    details = {row["index"]: row["errors"] for row in response.get_json()["details"]}
    assert details == {
        1: {"name": "required"},
        2: {"phone": "Input should be a valid string"},
        3: {"shoe_size": "unknown field"},
        4: {"email": details[4]["email"]},
        5: {"row": details[5]["row"]},
    }
    assert count(Learner) == 0


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"learners": []},
        {"learners": "all"},
        {"learners": [THREE[0]] * 1001},
        {"learners": [THREE[0]], "notify": True},
    ],
)
def test_a_bad_envelope_is_refused(api, session_id, body):
    response = api.post(f"/sessions/{session_id}/enrollments", json=body)
    assert response.status_code == 422
    assert response.get_json()["details"][0]["field"].startswith(("learners", "notify"))


def test_a_clash_with_a_concurrent_call_is_retried_once(api, session_id, monkeypatch):
    from sqlalchemy.exc import IntegrityError

    from drip.services.programs import enrolment as enrollments  # the use case owns the retry

    real, calls = enrollments.enrol, []

    def clashing(*args, **kwargs):
        # What the database answers when another call stored the same learner a moment earlier.
        calls.append(1)
        if len(calls) == 1:
            raise IntegrityError("INSERT INTO enrollments", {}, Exception("UNIQUE constraint failed"))
        return real(*args, **kwargs)

    monkeypatch.setattr(enrollments, "enrol", clashing)
    response = api.post(f"/sessions/{session_id}/enrollments", json={"learners": THREE})
    assert response.status_code == 201 and len(calls) == 2
    assert (count(Learner), count(Enrollment)) == (3, 3)


def test_a_clash_that_persists_answers_409_and_stores_nothing(api, session_id, monkeypatch):
    from sqlalchemy.exc import IntegrityError

    from drip.services.programs import enrolment as enrollments  # the use case owns the retry

    def always(*args, **kwargs):
        raise IntegrityError("INSERT INTO enrollments", {}, Exception("UNIQUE constraint failed"))

    monkeypatch.setattr(enrollments, "enrol", always)
    response = api.post(f"/sessions/{session_id}/enrollments", json={"learners": THREE})
    assert response.status_code == 409
    assert count(Learner) == 0
