"""The local outbox: messages the outbox channel recorded instead of sending, newest first."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user
from sqlalchemy import select

from drip.extensions import db
from drip.models import Delivery, Learner, OutboxMessage, Step

bp = Blueprint("outbox", __name__, url_prefix="/outbox")
PAGE_SIZE = 50


@bp.get("")
def index():
    """The trainer's outbox messages, SMS and email, filterable by channel; ?partial=1 returns just the list."""
    channel = request.args.get("channel") if request.args.get("channel") in ("sms", "email") else None
    before = request.args.get("before", type=int)
    before = before if before and 0 < before < 2**31 else None
    query = (select(OutboxMessage, Learner, Step)
             .outerjoin(Delivery, Delivery.id == OutboxMessage.delivery_id)
             .outerjoin(Learner, Learner.id == Delivery.learner_id)
             .outerjoin(Step, Step.id == Delivery.step_id)
             .where(OutboxMessage.trainer_id == current_user.id))
    if channel:
        query = query.where(OutboxMessage.channel == channel)
    if before:
        query = query.where(OutboxMessage.id < before)
    rows = db.session.execute(query.order_by(OutboxMessage.id.desc()).limit(PAGE_SIZE + 1)).all()
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    template = "outbox/_messages.html" if request.args.get("partial") else "outbox/index.html"
    return render_template(template, rows=rows, channel=channel, before=before, more=more,
                           oldest=rows[-1][0].id if rows else None)
