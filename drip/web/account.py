"""The trainer's account page: change password, their own phone for test texts, the time zone every admin page shows."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_user

from drip.services import accounts
from drip.web.session_form import COMMON_ZONES

bp = Blueprint("account", __name__, url_prefix="/account")


def _page(errors: dict | None = None, status: int = 200):
    return render_template("account/index.html", errors=errors or {}, zones=COMMON_ZONES), status


@bp.get("")
def index():
    """Password and time zone."""
    return _page()


@bp.post("/password")
def password():
    """Change the password: the current one first, then the new one twice."""
    trainer = current_user._get_current_object()
    current, new = request.form.get("current", ""), request.form.get("new", "")
    try:
        accounts.check_password_change(trainer, current, new, request.form.get("repeat", ""))
        accounts.change_password(trainer, current, new)  # ends every session of the trainer
    except accounts.AccountInvalid as invalid:
        return _page(invalid.errors, 422)
    except accounts.AccountError as refused:
        return _page({"new": str(refused)}, 422)
    login_user(trainer)  # this browser stays signed in, with the new session version
    flash("Your password is changed.", "success")
    return redirect(url_for("account.index"))


@bp.post("/phone")
def phone():
    """Set the trainer's own phone: test texts from Settings and the step editor go only there."""
    try:
        saved = accounts.set_phone(current_user, request.form.get("phone", ""), current_app.config["DEFAULT_REGION"])
    except accounts.AccountInvalid as invalid:
        return _page(invalid.errors, 422)
    flash(f"Test texts now go to {saved}." if saved else "Phone removed: no test texts until you add one.", "success")
    return redirect(url_for("account.index"))


@bp.post("/timezone")
def timezone():
    """Set the zone the admin shows times in; the page's script sends the browser's zone on a first visit."""
    try:
        zone = accounts.set_timezone(current_user, request.form.get("timezone", ""))
    except accounts.AccountInvalid as invalid:
        if request.accept_mimetypes.best == "application/json":
            return jsonify(error="Unprocessable Entity", details=invalid.errors), 422
        return _page(invalid.errors, 422)
    if request.accept_mimetypes.best == "application/json":
        return jsonify(timezone=zone)
    flash(f"Times are now shown in {zone}.", "success")
    return redirect(url_for("account.index"))
