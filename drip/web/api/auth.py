"""Bearer tokens: every API call but the OpenAPI document names its trainer with one."""

from __future__ import annotations

import hashlib

from flask import g, request

from drip.models import Trainer
from drip.services import accounts
from drip.web.api.errors import ApiError

SCHEME = "Bearer"
# Our tokens are ~50 characters; a longer one cannot be ours, so it costs no database lookup.
MAX_TOKEN_LENGTH = 200
PUBLIC_ENDPOINTS = {"api.openapi_document"}


def _refuse(details: str) -> ApiError:
    return ApiError(401, details, headers={"WWW-Authenticate": f'{SCHEME} realm="drip"'})


def require_token() -> None:
    """Resolve the request's bearer token to its trainer, or answer 401."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != SCHEME.lower() or not token:
        raise _refuse("Send an API token: Authorization: Bearer <token>.")
    trainer = accounts.trainer_for_token(token) if len(token) <= MAX_TOKEN_LENGTH else None
    if trainer is None:
        raise _refuse("This API token is not valid or has been revoked.")
    g.api_trainer = trainer
    # The rate limit counts per token; its digest is a key that reveals nothing if Redis leaks.
    g.api_token_key = hashlib.sha256(token.encode()).hexdigest()


def current_trainer() -> Trainer:
    """The trainer whose token made this request."""
    return g.api_trainer
