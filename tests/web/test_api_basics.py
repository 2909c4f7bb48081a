"""API plumbing: bearer tokens, rate limits, JSON errors and the OpenAPI document."""

from __future__ import annotations

import pytest

from drip import create_app
from drip.extensions import db, redis_store
from drip.models import ApiToken
from drip.services import accounts
from drip.web.api.operations import OPERATIONS
from tests.web.test_api_support import api  # noqa: F401  (fixture)


@pytest.mark.parametrize("header", [None, "Basic abc", "Bearer", "Bearer    ", "Bearer nope", "Bearer " + "x" * 5000])
def test_calls_without_a_valid_token_get_401_json(client, trainer, header):
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/sequences", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert set(response.get_json()) == {"error", "details"}


def test_a_revoked_token_stops_working(api):
    assert api.get("/sequences").status_code == 200
    token_row = db.session.scalars(db.select(ApiToken)).one()
    accounts.revoke_token(api.trainer, token_row.id)
    assert api.get("/sequences").status_code == 401


def test_a_call_records_when_the_token_was_last_used(api):
    api.get("/sequences")
    assert db.session.scalars(db.select(ApiToken)).one().last_used_at is not None


def test_the_openapi_document_needs_no_token_and_describes_every_operation(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "A Drip API token (drip_...).",
    }
    documented = {(method.upper(), path) for path, item in doc["paths"].items() for method in item}
    expected = {(op.method, op.rule.replace("<int:", "{").replace(">", "}")) for op in OPERATIONS}
    assert documented == expected
    for method, path in documented:
        entry = doc["paths"][path][method.lower()]
        assert entry["responses"]["401"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ErrorOut"
        }
        assert "429" in entry["responses"]


def test_every_schema_reference_resolves(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    refs = set()

    def walk(node):
        if isinstance(node, dict):
            if "$ref" in node:
                refs.add(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc)
    names = {ref.rsplit("/", 1)[1] for ref in refs}
    assert names <= set(doc["components"]["schemas"])
    assert {"SequenceIn", "SessionIn", "SessionPatch", "EnrollmentsIn", "ErrorOut", "DeliveryList"} <= names


def test_the_document_lists_the_query_parameters_of_a_list(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    params = {p["name"]: p for p in doc["paths"]["/sessions/{session_id}/deliveries"]["get"]["parameters"]}
    assert set(params) == {"session_id", "limit", "cursor", "status", "step_id"}
    assert params["session_id"]["in"] == "path"
    assert "delivered" in str(params["status"]["schema"])


def test_unknown_api_paths_and_methods_answer_json(api):
    assert api.get("/nothing-here").get_json()["error"] == "Not Found"
    response = api._call("DELETE", "/sequences")
    assert response.status_code == 405
    assert set(response.get_json()) == {"error", "details"}


@pytest.mark.parametrize(
    "raw, status",
    [
        (b"", 400),
        (b"{", 400),
        (b"[1, 2]", 422),
        (b'"text"', 422),
        (b"null", 422),
        (b"\xff\xfe", 400),
        (b'{"name": "x", "steps": [], "extra": 1}', 422),
        (b'{"name": 12, "steps": [{}]}', 422),
        (b'{"name": "x\\u0000", "steps": []}', 422),
        (b'{"name": "\\ud800", "steps": []}', 400),
    ],
)
def test_bad_bodies_get_4xx_json_never_500(api, raw, status):
    response = api.post("/sequences", data=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == status, response.get_json()
    assert set(response.get_json()) == {"error", "details"}


def test_huge_numbers_in_paths_and_queries_are_refused_cleanly(api):
    assert api.get("/sessions/99999999999999999999999").status_code == 404
    assert api.get("/sequences/2147483648").status_code == 404
    assert api.get("/sequences?limit=99999999999999999999").status_code == 422
    assert api.get("/sequences?limit=abc").status_code == 422


@pytest.fixture()
def limited_client(app_config, app):
    """A client of an app built with another API_RATE_LIMIT."""
    built = []

    def build(limit: int):
        built.append(create_app({**app_config, "API_RATE_LIMIT": limit, "API_RATE_WINDOW": 60}))
        return built[-1].test_client()

    yield build
    for other in built:
        with other.app_context():
            db.engine.dispose()


def test_a_token_over_its_limit_gets_429_with_retry_after(limited_client, trainer):
    first, second = accounts.create_token(trainer), accounts.create_token(trainer)
    client = limited_client(3)
    answers = [client.get("/api/v1/sequences", headers={"Authorization": f"Bearer {first}"}) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    refused = answers[-1]
    assert 1 <= int(refused.headers["Retry-After"]) <= 20  # one call comes back every 60/3 seconds
    assert refused.get_json()["error"] == "Too Many Requests"
    # The limit is per token: another token of the same trainer still has its own allowance.
    assert client.get("/api/v1/sequences", headers={"Authorization": f"Bearer {second}"}).status_code == 200


def test_a_limit_of_zero_means_no_limit(limited_client, trainer):
    token = accounts.create_token(trainer)
    client = limited_client(0)
    answers = {
        client.get("/api/v1/sequences", headers={"Authorization": f"Bearer {token}"}).status_code for _ in range(10)
    }
    assert answers == {200}


def test_the_default_limit_is_generous(api):
    response = api.get("/sequences")
    assert response.headers["X-RateLimit-Limit"] == "120"


def test_the_api_keeps_answering_without_a_limit_when_redis_is_down(app_config, app, trainer):
    token = accounts.create_token(trainer)
    down = create_app({**app_config, "REDIS_URL": "redis://127.0.0.1:1/0"})  # nothing listens there
    try:
        response = down.test_client().get("/api/v1/sequences", headers={"Authorization": f"Bearer {token}"})
    finally:
        with down.app_context():
            db.engine.dispose()
        redis_store.init_app(app)  # the holder is shared: point it back at the real Redis for teardown
    assert response.status_code == 200
    assert "X-RateLimit-Limit" not in response.headers
