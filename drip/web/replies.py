"""Practice reports, discussion replies and poll results; the trainer's replies to a learner."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from drip.domain import numbers
from drip.channels.base import SendError
from drip.domain.durations import describe_timing
from drip.services.board.polls import asked_counts
from drip.services.replies import answers as replies
from drip.domain.templates import summary
from drip.services.replies.refile_reads import last_moves
from drip.services.replies.export import questions_csv, to_csv
from drip.services.replies import privacy, testimonials
from drip.services.media import shown
from drip.web.board import own_session

bp = Blueprint("replies", __name__)


def _describe(step) -> str:
    try:
        return describe_timing(step.anchor, step.offset, step.local_time)
    except ValueError:
        return ""


@bp.get("/sessions/<int:session_id>/replies")
def index(session_id: int):
    """What came back for each step of the session, polls as charts."""
    training_session = own_session(session_id)
    groups = replies.by_step(training_session)
    everything = [reply for group in groups for reply in group.replies]
    asked = asked_counts(training_session, [group.step.id for group in groups if group.tally is not None])
    return render_template(
        "replies/index.html",
        ts=training_session,
        groups=groups,
        senders=replies.senders(everything),
        describe=_describe,
        asked=asked,
        moves=last_moves(everything),
        summarize=summary,
        unreviewed=sum(group.unreviewed for group in groups),
        testimonial_asked=testimonials.asked_for(training_session),
        private=privacy.private_learners(training_session.id),
        pictures=shown.pictures_for([reply.inbound_message_id for reply in everything]),
    )


@bp.get("/sessions/<int:session_id>/replies.csv")
def export(session_id: int):
    """Every reply of the session as a CSV file."""
    training_session = own_session(session_id)
    return _csv_file(to_csv(training_session), f"drip-session-{training_session.id}-replies.csv")


@bp.get("/sessions/<int:session_id>/questions.csv")
def export_questions(session_id: int):
    """Every live question of the session, with the trainer's marks, as a CSV file."""
    training_session = own_session(session_id)
    return _csv_file(questions_csv(training_session), f"drip-session-{training_session.id}-questions.csv")


def _csv_file(text: str, filename: str) -> Response:
    # The BOM makes Excel read the file as UTF-8 (accents, emoji).
    return Response(
        "\ufeff" + text, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


@bp.post("/sessions/<int:session_id>/replies/<int:reply_id>/reviewed")
def mark_reviewed(session_id: int, reply_id: int):
    """Mark one reply reviewed, or not reviewed again."""
    training_session = own_session(session_id)
    reply = replies.find_reply(training_session, reply_id)
    if reply is None:
        abort(404)
    replies.set_reviewed([reply], request.form.get("reviewed", "1") == "1")
    return redirect(url_for("replies.index", session_id=session_id) + f"#reply-{reply.id}")


@bp.post("/sessions/<int:session_id>/replies/reviewed")
def mark_all_reviewed(session_id: int):
    """Mark every reply of one step (or of no step) reviewed."""
    training_session = own_session(session_id)
    step_id = request.form.get("step_id", type=numbers.id_param)
    group = next((g for g in replies.by_step(training_session) if (g.step.id if g.step else None) == step_id), None)
    if group is None:
        abort(404)
    replies.set_reviewed([reply for reply in group.replies if reply.reviewed_at is None], True)
    flash("Marked as reviewed.", "success")
    return redirect(url_for("replies.index", session_id=session_id))


def _learner_or_404(training_session, learner_id: int):
    learner = replies.session_learner(training_session, learner_id)
    if learner is None:
        abort(404)
    return learner


@bp.get("/sessions/<int:session_id>/learners/<int:learner_id>/thread")
def thread(session_id: int, learner_id: int):
    """The exchange with one learner in this session, and a box to answer them."""
    training_session = own_session(session_id)
    learner = _learner_or_404(training_session, learner_id)
    entries = replies.thread_for(learner, session_id=training_session.id)
    return render_template(
        "replies/thread.html",
        ts=training_session,
        learner=learner,
        entries=entries,
        pictures=shown.pictures_for([entry.inbound_message_id for entry in entries]),
    )


@bp.post("/sessions/<int:session_id>/learners/<int:learner_id>/reply")
def send_reply(session_id: int, learner_id: int):
    """Answer a learner by SMS or email, through the same channels as the steps."""
    from drip.services.delivery.send import SendRefused

    training_session = own_session(session_id)
    learner = _learner_or_404(training_session, learner_id)
    channel, body = request.form.get("channel", ""), request.form.get("body", "")
    back = url_for("replies.thread", session_id=session_id, learner_id=learner.id)
    if channel not in ("sms", "email") or not body.strip():
        flash("Write a message and pick SMS or email.", "danger")
        return redirect(back)
    try:
        replies.reply_to_learner(current_user._get_current_object(), training_session, learner, channel, body)
    except (SendRefused, SendError) as error:
        flash(f"Not sent: {error}", "danger")
        return redirect(back)
    flash(f"Sent to {learner.name} by {'SMS' if channel == 'sms' else 'email'}.", "success")
    return redirect(back)
