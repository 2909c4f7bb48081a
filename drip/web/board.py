"""The live question board and projector view."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("board", __name__)
