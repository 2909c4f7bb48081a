"""Practice reports, discussion replies and poll results."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("replies", __name__)
