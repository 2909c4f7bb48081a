"""Sequences and their steps: list, edit in the trainer's words, preview, test-send, clone."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from drip.domain.digests import SMS_SEGMENT_LIMIT
from drip.domain.durations import describe_timing
from drip.extensions import db
from drip.models import Sequence, Step
from drip.services.media import library
from drip.services.programs import sequences as service
from drip.services.programs.starter import add_starter, find_starter
from drip.web import step_preview
from drip.web.picture_previews import preview, previews
from drip.services.programs.archive import archived_count
from drip.web.step_form import KIND_LABELS, StepForm, test_send
from drip.web.timeline import legend, markers
from drip.web.ownership import own_or_404
from drip.services.pages import admin as pages

bp = Blueprint("sequences", __name__, url_prefix="/sequences")


def own_sequence(sequence_id: int) -> Sequence:
    """The signed-in trainer's sequence, or 404 (also for another trainer's)."""
    return own_or_404(Sequence, sequence_id)


def own_step(sequence: Sequence, step_id: int) -> Step:
    """A step of this sequence, or 404."""
    step = own_or_404(Step, step_id)
    if step.sequence_id != sequence.id or step.deleted_at is not None:
        abort(404)
    return step


def _window_from_form() -> dict | None:
    if request.form.get("window") != "on":
        return None
    return {"start": request.form.get("window_start", ""), "end": request.form.get("window_end", "")}


@bp.get("")
def index():
    """The trainer's sequences, the starter offer and the new-sequence form."""
    mine = pages.trainer_sequences(current_user)
    return render_template(
        "sequences/index.html",
        sequences=mine,
        has_starter=find_starter(current_user) is not None,
        archived=archived_count(current_user.id),
    )


@bp.post("/starter")
def starter():
    """Add "Make training stick" to the trainer's sequences (once)."""
    sequence, created = add_starter(current_user)
    flash(
        "Added the starter sequence. Edit any step to make it yours."
        if created
        else "You already have the starter sequence.",
        "success" if created else "info",
    )
    return redirect(url_for("sequences.show", sequence_id=sequence.id))


@bp.post("")
def create():
    """Create an empty sequence and go straight to adding steps."""
    try:
        sequence = service.create_sequence(
            current_user, name=request.form.get("name", ""), send_window=_window_from_form()
        )
    except service.SequenceInvalid as invalid:
        flash(f"The sequence was not created: {'; '.join(invalid.errors.values())}.", "danger")
        return redirect(url_for("sequences.index"))
    flash(f"Created “{sequence.name}”. Now add its steps.", "success")
    return redirect(url_for("sequences.show", sequence_id=sequence.id))


@bp.get("/<int:sequence_id>")
def show(sequence_id: int):
    """The editor: settings, the timeline picture, each step with its preview, and the add-step form."""
    sequence = own_sequence(sequence_id)
    placed = markers(sequence.steps)
    return render_template(
        "sequences/show.html",
        sequence=sequence,
        steps=sequence.steps,
        markers=placed,
        legend=legend(placed),
        previews={step.id: preview(step, sequence.language) for step in sequence.steps},
        describe_timing=describe_timing,
        sessions=service.sessions_using(sequence),
    )


def _step_page(
    sequence: Sequence,
    step: Step | None,
    form: StepForm,
    errors: dict,
    shown: dict | None,
    status: int = 200,
    previewing: bool = False,
):
    return render_template(
        "sequences/step.html",
        sequence=sequence,
        step=step,
        form=form,
        errors=errors,
        preview=shown.get(sequence.language) if shown else None,
        language_previews={code: shown[code] for code in shown if code != sequence.language} if shown else {},
        bad_languages={key.split(".")[1] for key in errors if key.startswith("translations.")},
        kind_labels=KIND_LABELS,
        previewing=previewing,
        variables=step_preview.VARIABLES,
        default_name=step_preview.default_name(step),
        digest_segments=SMS_SEGMENT_LIMIT,
        images=library.items(current_user.id, kind="image"),
    ), status


@bp.post("/<int:sequence_id>")
def update(sequence_id: int):
    """Rename the sequence, change its send window, its digests' attribution or its language."""
    sequence = own_sequence(sequence_id)
    try:
        service.update_sequence(
            sequence,
            name=request.form.get("name", ""),
            send_window=_window_from_form(),
            digest_by=request.form.get("digest_by"),
            language=request.form.get("language"),
        )
    except service.SequenceInvalid as invalid:
        db.session.rollback()
        flash(f"Nothing was changed: {'; '.join(invalid.errors.values())}.", "danger")
    else:
        flash("Saved the sequence.", "success")
    return redirect(url_for("sequences.show", sequence_id=sequence.id))


@bp.post("/<int:sequence_id>/clone")
def clone(sequence_id: int):
    """Copy a sequence with all its steps."""
    copy = service.clone_sequence(own_sequence(sequence_id))
    flash(f"Created “{copy.name}”.", "success")
    return redirect(url_for("sequences.show", sequence_id=copy.id))


@bp.route("/<int:sequence_id>/steps/new", methods=["GET", "POST"])
@bp.route("/<int:sequence_id>/steps/<int:step_id>", methods=["GET", "POST"])
def edit_step(sequence_id: int, step_id: int | None = None):
    """Add or change a step; "Preview" renders without saving; a template that does not render is refused."""
    sequence = own_sequence(sequence_id)
    step = own_step(sequence, step_id) if step_id is not None else None
    if request.method == "GET":
        form = StepForm.from_step(step) if step else StepForm.blank()
        return _step_page(sequence, step, form, {}, previews(step, sequence) if step else None)
    form = StepForm.from_request(request.form)
    item, errors = form.to_input()
    if not errors:
        values, errors = service.check_step(item)
        if problem := library.image_problem(sequence.trainer_id, values["image_id"]):
            errors["image_id"] = problem
    if errors or request.form.get("action") == "preview":
        shown = None if errors else previews(Step(**values), sequence)
        return _step_page(
            sequence,
            step,
            form,
            errors,
            shown,
            200 if shown else 422,
            previewing=request.form.get("action") == "preview",
        )
    try:
        service.save_step(sequence, item, step)
    except service.SequenceInvalid as invalid:  # checked above; kept for a race with another edit
        db.session.rollback()
        return _step_page(sequence, step, form, invalid.errors, None, 422)
    flash("Saved the step." if step else "Added the step.", "success")
    return redirect(url_for("sequences.show", sequence_id=sequence.id))


@bp.post("/<int:sequence_id>/steps/preview")
def live_preview(sequence_id: int):
    """The step form as Maya would get it, for the editor to show as the trainer types (JSON)."""
    sequence = own_sequence(sequence_id)
    item, errors = StepForm.from_request(request.form).to_input()
    if not errors:
        values, errors = service.check_step(item)
    if errors:
        return jsonify(errors=errors)
    step = Step(**values)
    shown = step_preview.as_json(preview(step, sequence.language))
    shown["languages"] = {code: step_preview.as_json(preview(step, code)) for code in step.translations or {}}
    return jsonify(shown)


@bp.post("/<int:sequence_id>/steps/<int:step_id>/delete")
def delete_step(sequence_id: int, step_id: int):
    """Delete a step; its pending messages are skipped, what it sent stays on record."""
    sequence = own_sequence(sequence_id)
    skipped = service.delete_step(own_step(sequence, step_id))
    flash(
        f"Deleted the step. {skipped} pending message{'' if skipped == 1 else 's'} will not be sent; "
        "what it sent stays in each learner's history.",
        "success",
    )
    return redirect(url_for("sequences.show", sequence_id=sequence.id))


@bp.post("/<int:sequence_id>/steps/<int:step_id>/test")
def send_test(sequence_id: int, step_id: int):
    """Send this step, rendered for the sample learner, to the trainer's own email or saved phone."""
    sequence = own_sequence(sequence_id)
    step = own_step(sequence, step_id)
    rendered = preview(step, sequence.language)
    if "error" in rendered:
        flash(f"This step cannot be rendered: {rendered['error']}", "danger")
    else:
        ok, message = test_send(current_user, step, rendered)
        flash(message, "success" if ok else "danger")
    return redirect(url_for("sequences.show", sequence_id=sequence.id, _anchor=f"step-{step.id}"))
