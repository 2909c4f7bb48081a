"""The media library page: upload images and PDF slides, see where each is used, delete what is unused."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from drip.domain.media import ACCEPTED, MediaRefused
from drip.services.media import library

bp = Blueprint("media", __name__)


def own_media(media_id: int):
    """The signed-in trainer's library item, or 404."""
    item = library.owned_item(current_user.id, media_id)
    if item is None:
        abort(404)
    return item


@bp.get("/media")
def index():
    """Every item of the library with its thumbnail, size and where it is used."""
    rows = library.items(current_user.id)
    return render_template(
        "media/index.html",
        rows=rows,
        uses=library.uses([row.id for row in rows]),
        url=lambda row: library.public_url(current_app.config, row.token),
        accepted=ACCEPTED,
    )


def _answer(ok: bool, message: str, status: int = 200):
    # The upload script asks for JSON (to show the message in place); the plain form gets a redirect.
    if request.accept_mimetypes.best == "application/json":
        if ok:
            flash(message, "success")  # the page the script goes to next says it
        return jsonify(ok=ok, message=message, redirect=url_for("media.index")), status
    flash(message, "success" if ok else "danger")
    return redirect(url_for("media.index"), code=303)


@bp.post("/media")
def upload():
    """Add the chosen file to the library, checked from its bytes and stripped of metadata."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _answer(False, "Choose a file to upload.", 400)
    try:
        item = library.add_to_library(current_user.id, upload.read(), upload.filename, request.form.get("alt_text", ""))
    except MediaRefused as refused:
        return _answer(False, str(refused), refused.status)
    return _answer(True, f"Added “{item.filename}” to your library.")


@bp.post("/media/<int:media_id>/delete")
def delete(media_id: int):
    """Delete an item no step or session uses."""
    item = own_media(media_id)
    name = item.filename
    try:
        library.delete(item)
    except library.MediaInUse as in_use:
        flash(f"“{name}” was not deleted. {in_use}", "warning")
        return redirect(url_for("media.index"), code=303)
    flash(f"Deleted “{name}”.", "success")
    return redirect(url_for("media.index"), code=303)
