"""The phone simulator (outbox mode only)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from drip.domain.media import MediaRefused
from drip.services import simulator, simulator_email
from drip.services.inbound.lookup import normalise_sender_phone
from drip.web.ids import parse_id

bp = Blueprint("simulator", __name__)


@bp.before_request
def _outbox_only():
    # With a real Twilio account, learners' phones are real: there is nothing to simulate.
    if current_app.config["SMS_PROVIDER"] != "outbox":
        abort(404)


@bp.get("/simulator")
def index():
    """Each learner's texts as a phone screen, with a box to answer as them."""
    also = request.args.get("number") or None
    kept_id = parse_id(request.args.get("kept"))
    emails = simulator_email.answerable(current_user) if _email_outbox() else None
    return render_template(
        "simulator/index.html",
        phones=simulator.phones(current_user, also=also),
        drip_number=simulator.drip_number(current_app.config),
        focus=also,
        directory=simulator.directory(current_user),
        emails=emails,
        gmail_templates={m.id: simulator_email.gmail_reply_template(m, current_user) for m in emails or []},
        kept=simulator_email.kept_text(current_user, kept_id) if kept_id is not None else None,
    )


def _email_outbox() -> bool:
    return current_app.config["EMAIL_PROVIDER"] == "outbox"


@bp.post("/simulator/text")
def text():
    """Text Drip as this phone, through the real signed webhook."""
    raw_number, body = request.form.get("number", ""), request.form.get("body", "")
    number = normalise_sender_phone(raw_number, current_app.config["DEFAULT_REGION"])
    upload = request.files.get("picture")
    picture = upload.read() if upload is not None and upload.filename else None
    if not number or not (body.strip() or picture):
        flash("Type a phone number and a message (or choose a picture).", "danger")
        return redirect(url_for("simulator.index"))
    try:
        simulator.text_as(current_app._get_current_object(), current_user, number, body, picture)
    except MediaRefused as error:
        flash(str(error), "danger")
        return redirect(url_for("simulator.index")), 303
    except RuntimeError as error:
        flash(f"The webhook refused the text: {error}", "danger")
    return redirect(url_for("simulator.index", number=number) + "#phone-" + number.lstrip("+"))


@bp.post("/simulator/email")
def email_reply():
    """Answer one of the trainer's outbox emails as the learner it went to."""
    outbox_id, body = parse_id(request.form.get("email_id")), request.form.get("body", "")
    if not _email_outbox() or outbox_id is None:
        abort(404)
    if not body.strip():
        flash("Type the answer to send.", "danger")
        return redirect(url_for("simulator.index") + "#email-reply")
    try:
        outcome = simulator_email.reply_as_learner(current_app._get_current_object(), current_user, outbox_id, body)
    except simulator_email.NoSuchEmail:
        abort(404)
    flash(f"Answered as the learner: filed as {outcome.kind.replace('_', ' ')}.", "success")
    return redirect(url_for("simulator.index", kept=outcome.inbound_id) + "#email-reply")
