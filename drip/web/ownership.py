"""The signed-in trainer's own rows, or 404: another trainer's id is as missing as a made-up one."""

from __future__ import annotations

from typing import TypeVar

from flask import abort
from flask_login import current_user

from drip.models import TrainingSession
from drip.services.ownership import owned

Row = TypeVar("Row")


def own_or_404(model: type[Row], row_id) -> Row:
    """The signed-in trainer's row of `model` with this id, or abort with 404."""
    row = owned(model, row_id, current_user.id)
    if row is None:
        abort(404)
    return row


def own_session(session_id: int) -> TrainingSession:
    """The signed-in trainer's session, or 404 (also for another trainer's)."""
    return own_or_404(TrainingSession, session_id)
