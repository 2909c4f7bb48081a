"""Archive and restore sequences and sessions; the archive page."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from drip.services.programs import archive as service
from drip.web.sequences import own_sequence
from drip.web.sessions import own_session

bp = Blueprint("archive", __name__)


@bp.get("/archive")
def index():
    """Archived sequences and sessions, each with a way back."""
    sequences, sessions = service.archived(current_user.id)
    return render_template("archive/index.html", sequences=sequences, sessions=sessions)


@bp.post("/sequences/<int:sequence_id>/archive")
def archive_sequence(sequence_id: int):
    """Archive a sequence: sessions using it go on as before."""
    sequence = own_sequence(sequence_id)
    service.archive_sequence(sequence)
    flash(f"Archived “{sequence.name}”. Sessions using it go on as before.", "success")
    return redirect(url_for("sequences.index"))


@bp.post("/sequences/<int:sequence_id>/restore")
def restore_sequence(sequence_id: int):
    """Bring an archived sequence back."""
    sequence = own_sequence(sequence_id)
    service.restore(sequence)
    flash(f"Restored “{sequence.name}”.", "success")
    return redirect(url_for("sequences.show", sequence_id=sequence.id))


@bp.post("/sessions/<int:session_id>/archive")
def archive_session(session_id: int):
    """Archive a past or cancelled session; its history stays."""
    ts = own_session(session_id)
    try:
        service.archive_session(ts)
    except service.ArchiveRefused as refused:
        flash(str(refused), "warning")
        return redirect(url_for("sessions.show", session_id=ts.id))
    flash(f"Archived “{ts.title}”.", "success")
    return redirect(url_for("sessions.index"))


@bp.post("/sessions/<int:session_id>/restore")
def restore_session(session_id: int):
    """Bring an archived session back to the lists."""
    ts = own_session(session_id)
    service.restore(ts)
    flash(f"Restored “{ts.title}”.", "success")
    return redirect(url_for("sessions.show", session_id=ts.id))
