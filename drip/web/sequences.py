"""Sequences and their steps."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("sequences", __name__)
