"""Schemathesis against the app's own OpenAPI document: no 5xx, no response that breaks its schema.

Runs in-process against the WSGI app with a valid bearer token. Every operation is fuzzed with
data that fits its schema and with data that does not, once with random ids and once with the
ids of a real sequence and session (so creation, rescheduling and enrolment run for real).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis import checks as all_checks
from schemathesis.config._checks import PositiveDataAcceptanceConfig

from drip.extensions import db
from drip.models import LiveQuestion, Reply
from drip.services import accounts
from drip.services.media import library
from drip.services.learners.upsert import LearnerInput, upsert_learners
from drip.services.programs.enrolment import enrol
from drip.services.programs.starter import add_starter
from tests.support.images import png
from tests.web.test_api_support import stored_session

all_checks.load_all_checks()
CHECKS = all_checks.CHECKS.get_all()  # every check schemathesis has, none left out
SEMANTIC = {
    ("POST", "/sequences"),
    ("POST", "/sessions/{session_id}/enrollments"),
    ("PATCH", "/replies/{reply_id}"),
    ("PATCH", "/questions/{question_id}"),
    ("POST", "/sessions"),
    ("PATCH", "/sessions/{session_id}"),
    ("POST", "/media"),  # bytes that are not an image or a PDF
}
EXAMPLES = 15  # per operation and mode; the whole file stays well under a minute on a busy machine


@pytest.fixture()
def fuzzed(app, trainer):
    """The loaded schema, the token's headers and the ids of a real sequence and session."""
    app.config["API_RATE_LIMIT"] = 0  # hundreds of calls in a few seconds are the point here
    token = accounts.create_token(trainer, "schemathesis")
    sequence, _ = add_starter(trainer)
    ts = stored_session(trainer, sequences=[sequence])
    question, reply = _inbound_texts(trainer, ts)
    [(learner, _)] = upsert_learners(trainer, [LearnerInput("Ada Lovelace", "+14155550101")])
    enrol(ts, [learner])
    picture = library.add_to_library(trainer.id, png(), "picture.png")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    ids = {
        "sequence_id": sequence.id,
        "session_id": ts.id,
        "question_id": question.id,
        "reply_id": reply.id,
        "learner_id": learner.id,
        "media_id": picture.id,
    }
    return schema, {"Authorization": f"Bearer {token}"}, ids


def _inbound_texts(trainer, ts):
    """A live question and a reply of the session, for the re-filing operations."""
    question = LiveQuestion(session_id=ts.id, body="How?")
    reply = Reply(trainer_id=trainer.id, session_id=ts.id, kind="unclassified", channel="sms", body="2")
    db.session.add_all([question, reply])
    db.session.commit()
    return question, reply


def _run(operation, headers, mode, path_parameters=None, examples=EXAMPLES):
    # Every constraint a JSON Schema can state is in the document, so schema-valid data is accepted;
    # only these operations may still answer 422 for what no schema can state: a step body that is
    # not a template that renders, a phone number that does not exist, a step id that is not a poll
    # of the reply's session, a session that ends before it starts, an uploaded file that is not an
    # image or PDF (each named in the 422).
    accepted = ["2xx", "401", "404", "409", "429"] + (
        ["422"] if (operation.method.upper(), operation.path) in SEMANTIC else []
    )
    operation.schema.config.checks.positive_data_acceptance = PositiveDataAcceptanceConfig(expected_statuses=accepted)
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)

    @given(case=strategy)
    @settings(
        max_examples=examples, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )
    def check(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    check()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_keeps_its_openapi_promises(fuzzed, mode):
    schema, headers, ids = fuzzed
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 13
    for operation in operations:
        _run(operation, headers, mode)
        names = {p.name for p in operation.path_parameters}
        if names:
            _run(operation, headers, mode, {name: ids[name] for name in names}, examples=10)
