"""Learners, CSV import and each learner's timeline."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("learners", __name__)
