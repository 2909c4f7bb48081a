"""The local outbox: messages sent without a provider."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("outbox", __name__)
