"""Login and logout."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired

from drip.services import accounts

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField("Email", validators=[DataRequired()])
    password = PasswordField("Password", validators=[DataRequired()])


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an open redirect would let a phishing link borrow our login page.
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("dashboard.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form and sign a trainer in."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    status, headers = 200, {}
    if form.validate_on_submit():
        result = accounts.authenticate(form.email.data, form.password.data, request.remote_addr or "")
        if result.trainer is not None:
            login_user(result.trainer)
            return redirect(_safe_next(request.args.get("next")))
        if result.retry_after:
            minutes = max(1, round(result.retry_after / 60))
            flash(f"Too many attempts. Try again in {minutes} minute{'s' if minutes > 1 else ''}.", "danger")
            status, headers = 429, {"Retry-After": str(result.retry_after)}
        else:
            flash("That email and password do not match.", "danger")
            status = 401
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status, headers


@bp.post("/logout")
def logout():
    """Sign out (a POST, so a link elsewhere cannot log you out); every copy of the cookie stops working."""
    if current_user.is_authenticated:
        accounts.end_sessions(current_user._get_current_object())
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))
