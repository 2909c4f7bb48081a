"""The local outbox: messages the outbox channel recorded instead of sending, newest first."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from drip.domain import numbers
from drip.services.pages import admin as pages
from drip.models.types import MAX_ID

bp = Blueprint("outbox", __name__, url_prefix="/outbox")
PAGE_SIZE = 50


@bp.get("")
def index():
    """The trainer's outbox messages, SMS and email, filterable by channel; ?partial=1 returns just the list."""
    channel = request.args.get("channel") if request.args.get("channel") in ("sms", "email") else None
    before = request.args.get("before", type=numbers.id_param)
    before = before if before and 0 < before <= MAX_ID else None
    rows = pages.outbox(current_user, channel=channel, before=before, limit=PAGE_SIZE + 1)
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    template = "outbox/_messages.html" if request.args.get("partial") else "outbox/index.html"
    return render_template(
        template, rows=rows, channel=channel, before=before, more=more, oldest=rows[-1][0].id if rows else None
    )
