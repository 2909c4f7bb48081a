"""A learner's details and data rights in the admin: edit, export as JSON, erase; the audit log."""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from drip.services.learners import edits as learner_edits
from drip.services.learners import rights as learner_rights
from drip.domain.learners import FIELDS
from drip.services.learners.upsert import LearnerInvalid, validate_learner
from drip.web.learners import own_learner

bp = Blueprint("learner_admin", __name__, url_prefix="/learners")


@bp.route("/<int:learner_id>/edit", methods=["GET", "POST"])
def edit(learner_id: int):
    """Change a learner's name, phone, email, time zone or external id."""
    learner = own_learner(learner_id)
    if learner.erased_at:
        flash("This learner was erased; there is nothing left to edit.", "info")
        return redirect(url_for("learners.show", learner_id=learner.id))
    if request.method == "GET":
        return render_template("learners/edit.html", learner=learner, form=learner_form(learner), errors={})
    form = {field: request.form.get(field, "") for field in FIELDS}
    try:
        learner_edits.update_learner(
            learner, validate_learner(form, default_region=current_app.config["DEFAULT_REGION"])
        )
    except LearnerInvalid as invalid:
        return render_template("learners/edit.html", learner=learner, form=form, errors=invalid.errors), 422
    flash(f"Saved {learner.name}.", "success")
    return redirect(url_for("learners.show", learner_id=learner.id))


def learner_form(learner) -> dict[str, str]:
    """The edit form's values for a stored learner."""
    return {field: getattr(learner, field) or "" for field in FIELDS}


@bp.get("/<int:learner_id>/export")
def export(learner_id: int):
    """Everything Drip holds about the learner, as a JSON download (recorded in the audit log)."""
    learner = own_learner(learner_id)
    data = learner_rights.export_learner(learner, via="admin")
    return Response(
        json.dumps(data, indent=2, ensure_ascii=False),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="learner-{learner.id}.json"'},
    )


@bp.post("/<int:learner_id>/erase")
def erase(learner_id: int):
    """Erase the learner's personal data and texts after the trainer typed ERASE; counts stay."""
    learner = own_learner(learner_id)
    if learner.erased_at:
        flash("This learner was already erased.", "info")
    elif request.form.get("confirm", "").strip().upper() != "ERASE":
        flash("Type ERASE to confirm: nothing was erased.", "warning")
    else:
        skipped = learner_rights.erase_learner(learner, via="admin")
        flash(
            f"Erased. Their details and texts are gone; {skipped} pending message{'' if skipped == 1 else 's'} "
            "will not be sent.",
            "success",
        )
    return redirect(url_for("learners.show", learner_id=learner.id))


@bp.get("/audit")
def audit():
    """Exports and erasures of learners' data, newest first."""
    return render_template("learners/audit.html", events=learner_rights.audit_log(current_user.id))
