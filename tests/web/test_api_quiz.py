"""Quiz fields and follow_up on POST /sequences: validated, stored, read back; quiz-results is owned."""

from __future__ import annotations

import pytest

from drip.extensions import db
from drip.models import Sequence
from tests.web.test_api_support import api, other_api, sms_step, stored_session  # noqa: F401


def quiz(**overrides) -> dict:
    """A valid SMS quiz step as the API takes it."""
    fields = {
        "kind": "quiz",
        "anchor": "end",
        "offset": "P2D",
        "body": "Which? {{ reply_hint }}",
        "choices": ["Tea", "Coffee", "Water"],
        "answer": 2,
        "explain": "Water, always.",
        **overrides,
    }
    return sms_step(**fields)


def test_quiz_and_follow_up_are_stored_and_read_back(api):
    follow_up = {"after": "p2d", "body": "Still there, {{ first_name }}?"}
    created = api.post("/sequences", json={"name": "Recall", "steps": [quiz(retry_after="PT30S", follow_up=follow_up)]})
    assert created.status_code == 201, created.get_json()
    (step,) = created.get_json()["steps"]
    assert (step["kind"], step["answer"], step["explain"], step["retry_after"]) == (
        "quiz",
        2,
        "Water, always.",
        "PT30S",
    )
    assert step["follow_up"] == {
        "after": "P2D",
        "body": "Still there, {{ first_name }}?",
        "channel": "sms",
        "subject": None,
    }
    default = api.post("/sequences", json={"name": "Default", "steps": [quiz()]}).get_json()["steps"][0]
    assert default["retry_after"] == "P2D"


@pytest.mark.parametrize(
    ("step", "field"),
    [
        (quiz(answer=3), "steps[0].answer"),
        (quiz(answer=None), "steps[0].answer"),
        (quiz(choices=["Only one"], answer=0), "steps[0].choices"),
        (quiz(retry_after="-P1D"), "steps[0].retry_after"),
        (quiz(follow_up={"after": "PT0S", "body": "Hello"}), "steps[0].follow_up.after"),
        (quiz(follow_up={"after": "-P1D", "body": "Hello"}), "steps[0].follow_up.after"),
        (quiz(follow_up={"after": "P1D", "body": "{{ nope }}"}), "steps[0].follow_up.body"),
        (sms_step(follow_up={"after": "P1D", "body": "Hello"}), "steps[0].follow_up"),
        (sms_step(answer=1), "steps[0].answer"),
    ],
)
def test_bad_quiz_or_follow_up_is_refused_and_nothing_stored(api, step, field):
    response = api.post("/sequences", json={"name": "Bad", "steps": [step]})
    assert response.status_code == 422
    assert field in {problem["field"] for problem in response.get_json()["details"]}
    assert db.session.query(Sequence).count() == 0


def test_quiz_results_are_the_owners_only_and_documented(api, other_api):
    ts = stored_session(api.trainer)
    assert api.get(f"/sessions/{ts.id}/quiz-results").get_json() == {"session_id": ts.id, "quizzes": [], "learners": []}
    assert other_api.get(f"/sessions/{ts.id}/quiz-results").status_code == 404
    document = api.get("/openapi.json").get_json()
    assert (
        "/api/v1/sessions/{session_id}/quiz-results" in document["paths"]
        or "/sessions/{session_id}/quiz-results" in document["paths"]
    )
