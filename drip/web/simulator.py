"""The phone simulator (outbox mode only)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("simulator", __name__)
