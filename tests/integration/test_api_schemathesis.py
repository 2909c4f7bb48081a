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
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance, negative_data_rejection, response_headers_conformance,
    response_schema_conformance, status_code_conformance,
)

from drip.extensions import db
from drip.models import LiveQuestion, Reply
from drip.services import accounts
from drip.services.programs.starter import add_starter
from tests.web.test_api_support import stored_session

# Schemathesis' other default checks judge API design choices we made on purpose: valid-looking
# data can still be refused (an end before its start, an id that is not yours), and ids of
# other trainers answer 404 rather than 403.
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance, negative_data_rejection]
EXAMPLES = 15  # per operation and mode; the whole file stays well under a minute on a busy machine


@pytest.fixture()
def fuzzed(app, trainer):
    """The loaded schema, the token's headers and the ids of a real sequence and session."""
    app.config["API_RATE_LIMIT"] = 0  # hundreds of calls in a few seconds are the point here
    token = accounts.create_token(trainer, "schemathesis")
    sequence, _ = add_starter(trainer)
    ts = stored_session(trainer, sequences=[sequence])
    question, reply = _inbound_texts(trainer, ts)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    ids = {"sequence_id": sequence.id, "session_id": ts.id, "question_id": question.id, "reply_id": reply.id}
    return schema, {"Authorization": f"Bearer {token}"}, ids


def _inbound_texts(trainer, ts):
    """A live question and a reply of the session, for the re-filing operations."""
    question = LiveQuestion(session_id=ts.id, body="How?")
    reply = Reply(trainer_id=trainer.id, session_id=ts.id, kind="unclassified", channel="sms", body="2")
    db.session.add_all([question, reply])
    db.session.commit()
    return question, reply


def _run(operation, headers, mode, path_parameters=None, examples=EXAMPLES):
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)

    @given(case=strategy)
    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
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
