"""The OpenAPI 3.1 document, generated from the operation table and its pydantic models."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask import Response, current_app, jsonify
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from drip.web.api.operations import OPERATIONS, Operation
from drip.web.api.schemas import MAX_ID, ErrorOut, PageQuery

REF = "#/components/schemas/{model}"
Refs = Mapping[tuple[type[BaseModel], str], dict[str, Any]]  # (model, mode) → {"$ref": ...}
DESCRIPTION = """\
The JSON API lets an LMS or HR system create sequences and sessions, enrol learners and read what
was sent and what came back. Authenticate every call with `Authorization: Bearer <token>` (a trainer
creates tokens in Settings, or `flask --app drip drip create-token EMAIL`); a token sees only its
trainer's data, and anything else answers 404.

Times are ISO 8601 with an offset: a time without one is refused with 422. Session times come back
in the session's time zone, every other time in UTC.

Lists are paginated: `?limit=` (1-200, default 50) and `?cursor=`; each page has `next_cursor` and
`next`, the URL of the following page (null on the last one).

Errors are JSON `{"error": ..., "details": ...}` with a 4xx status; `details` is a sentence, a list
of `{field, message}`, or for enrolments a list of `{index, errors}` rows.

Each token may make `API_RATE_LIMIT` calls per `API_RATE_WINDOW` seconds (120 per 60 by default);
beyond that the answer is 429 with `Retry-After` in seconds.
"""
RATE_HEADERS = {
    "X-RateLimit-Limit": {"description": "Calls allowed per window.", "schema": {"type": "integer"}},
    "X-RateLimit-Remaining": {"description": "Calls left right now.", "schema": {"type": "integer"}},
}
ERROR_DESCRIPTIONS = {
    400: "The body is not a JSON object.",
    401: "No valid bearer token.",
    404: "No such item among this token's trainer's data (or no such page: a cursor we did not hand out).",
    409: "The item is in a state that does not allow this.",
    413: "The body is too large.",
    422: "A field, parameter or row is not valid; `details` names each.",
    429: "Rate limit reached; retry after `Retry-After` seconds.",
}


def _path(rule: str) -> str:
    return re.sub(r"<int:(\w+)>", r"{\1}", rule)


def _error_codes(op: Operation) -> list[int]:
    codes = {401, 429, *op.errors}
    if op.path_params:
        codes.add(404)
    if op.body is not None or op.form is not None:
        codes |= {400, 413, 422}
    if op.query is not None:
        codes.add(422)
        if issubclass(op.query, PageQuery):
            codes.add(404)  # a cursor we did not hand out
    return sorted(codes)


def _json(refs: Refs, model: type[BaseModel], mode: str) -> dict[str, Any]:
    return {"application/json": {"schema": refs[(model, mode)]}}


def _not_null(prop: dict[str, Any]) -> dict[str, Any]:
    """A query parameter's schema without its title or a null branch: a query string has no null."""
    prop = {k: v for k, v in prop.items() if k != "title"}
    options = [option for option in prop.pop("anyOf", []) if option != {"type": "null"}]
    if len(options) == 1:
        prop.update(options[0])
        if prop.get("default", "") is None:
            del prop["default"]
    elif options:
        prop["anyOf"] = options
    return prop


def _parameters(op: Operation) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}
        for name in op.path_params
    ]
    if op.query is not None:
        schema = op.query.model_json_schema(ref_template=REF)
        required = set(schema.get("required", []))
        for name, prop in schema["properties"].items():
            prop = _not_null(prop)
            params.append(
                {
                    "name": name,
                    "in": "query",
                    "required": name in required,
                    "description": prop.pop("description", ""),
                    "schema": prop,
                }
            )
    return params


def _operation(op: Operation, refs: Refs) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "operationId": op.endpoint,
        "summary": op.summary,
        "description": op.description,
        "tags": [op.rule.strip("/").split("/")[0]],
        "parameters": _parameters(op),
        "responses": {},
    }
    if op.body is not None:
        entry["requestBody"] = {"required": True, "content": _json(refs, op.body, "validation")}
    if op.form is not None:
        entry["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": dict(op.form)}}}
    for code, model in op.responses.items():
        entry["responses"][str(code)] = {
            "description": (model.__doc__ or "").strip(),
            "headers": RATE_HEADERS,
            "content": _json(refs, model, "serialization"),
        }
    for code in _error_codes(op):
        entry["responses"][str(code)] = {
            "description": ERROR_DESCRIPTIONS[code],
            "content": _json(refs, ErrorOut, "serialization"),
        }
    if 401 in _error_codes(op):
        entry["responses"]["401"]["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
    entry["responses"]["429"]["headers"] = {
        "Retry-After": {"schema": {"type": "integer", "minimum": 1}, "description": "Seconds to wait."}
    }
    return entry


def document() -> dict[str, Any]:
    """The whole OpenAPI 3.1 document."""
    inputs = {op.body for op in OPERATIONS if op.body is not None}
    outputs = {model for op in OPERATIONS for model in op.responses.values()} | {ErrorOut}
    pairs = [(m, "validation") for m in sorted(inputs, key=lambda m: m.__name__)]
    pairs += [(m, "serialization") for m in sorted(outputs, key=lambda m: m.__name__)]
    refs, schemas = models_json_schema(pairs, ref_template=REF)
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(_path(op.rule), {})[op.method.lower()] = _operation(op, refs)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Drip API", "version": "1.0.0", "description": DESCRIPTION},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "schemas": schemas.get("$defs", {}),
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "description": "A Drip API token (drip_...)."}
            },
        },
    }


def openapi_document() -> Response:
    """Serve the document; it only changes with the code, so it is built once per app."""
    cached = current_app.extensions.get("drip_openapi")
    if cached is None:
        cached = current_app.extensions["drip_openapi"] = document()
    return jsonify(cached)
