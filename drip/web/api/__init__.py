"""The JSON API for LMS and HR systems, under /api/v1.

Each view module registers its operations in `operations.OPERATIONS`; this module turns the table
into URL rules, and `openapi` turns the same table into the OpenAPI document.
"""

from __future__ import annotations

from flask import Blueprint

from drip.web.api import activity, engagement, enrollments, learners, learning, media, refile, sequences, sessions  # noqa: F401  (fill OPERATIONS)
from drip.web.api.auth import require_token
from drip.web.api.errors import ApiError, render
from drip.web.api.openapi import openapi_document
from drip.web.api.operations import OPERATIONS
from drip.web.api.ratelimit import add_headers, enforce


def _blueprint() -> Blueprint:
    blueprint = Blueprint("api", __name__, url_prefix="/api/v1")
    blueprint.before_request(require_token)
    blueprint.before_request(enforce)
    blueprint.after_request(add_headers)
    blueprint.register_error_handler(ApiError, render)
    blueprint.add_url_rule("/openapi.json", endpoint="openapi_document", view_func=openapi_document)
    for op in OPERATIONS:
        blueprint.add_url_rule(op.rule, endpoint=op.endpoint, view_func=op.view, methods=[op.method])
    return blueprint


bp = _blueprint()
