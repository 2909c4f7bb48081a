"""Blueprints, the login wall and error pages."""
from __future__ import annotations

from importlib import import_module

from flask import Flask, current_app, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from drip.extensions import csrf, db, login_manager

# Each module exposes `bp`. Order does not matter; one line per area of the admin.
BLUEPRINT_MODULES = [
    "drip.web.auth",
    "drip.web.health",
    "drip.web.metrics",
    "drip.web.dashboard",
    "drip.web.sequences",
    "drip.web.sessions",
    "drip.web.learning",
    "drip.web.learners",
    "drip.web.outbox",
    "drip.web.board",
    "drip.web.board_after",
    "drip.web.replies",
    "drip.web.refiling",
    "drip.web.sharing",
    "drip.web.simulator",
    "drip.web.webhooks",
    "drip.web.status_hooks",
    "drip.web.inbound_hooks",
    "drip.web.public",
    "drip.web.settings",
    "drip.web.api",
]

# Endpoints reachable without login; everything else is behind the login wall.
PUBLIC_BLUEPRINTS = {"auth", "health", "webhooks", "webhooks_status", "webhooks_inbound", "api", "public"}
# These authenticate each request themselves (provider signature, bearer token, or the
# unguessable token of a one-click unsubscribe link), so they carry no CSRF token.
CSRF_EXEMPT_BLUEPRINTS = {"webhooks", "webhooks_status", "webhooks_inbound", "api", "public"}


def public(view):
    """Mark a view as reachable without login."""
    view._drip_public = True
    return view


def _require_login():
    if request.endpoint is None or request.endpoint == "static":
        return None
    if request.blueprint in PUBLIC_BLUEPRINTS:
        return None
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "_drip_public", False) or current_user.is_authenticated:
        return None
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _wants_json() -> bool:
    return request.path.startswith(("/api/", "/webhooks/", "/healthz"))


def _error_page(error: HTTPException):
    if _wants_json():
        return jsonify(error=error.name, details=error.description), error.code
    return render_template("error.html", error=error), error.code


def _server_error(error: Exception):
    current_app.logger.exception("Unhandled error on %s %s", request.method, request.path)
    db.session.rollback()
    if _wants_json():
        return jsonify(error="Internal Server Error", details="Something went wrong on our side."), 500
    return render_template("error.html", error=None), 500


def _csrf_error(error: CSRFError):
    if _wants_json():
        return jsonify(error="Bad Request", details=error.description), 400
    return render_template("error.html", error=error), 400


@login_manager.user_loader
def _load_trainer(trainer_id: str):
    from drip.models import Trainer

    return db.session.get(Trainer, int(trainer_id))


def init_app(app: Flask) -> None:
    """Register every blueprint, the login wall and the error pages."""
    for name in BLUEPRINT_MODULES:
        blueprint = import_module(name).bp
        if blueprint.name in CSRF_EXEMPT_BLUEPRINTS:
            csrf.exempt(blueprint)
        app.register_blueprint(blueprint)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    app.before_request(_require_login)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _error_page)
    app.register_error_handler(Exception, _server_error)
    app.jinja_env.globals["nav_items"] = NAV_ITEMS
    # The phone simulator answers 404 unless SMS go to the outbox, so the nav leaves it out then.
    app.jinja_env.globals["current_app_endpoints"] = lambda: [
        name for name in app.view_functions if name != "simulator.index" or app.config["SMS_PROVIDER"] == "outbox"]
    app.jinja_env.filters["local"] = format_local


# (endpoint, label): the admin navigation; an entry shows once its endpoint exists.
NAV_ITEMS = [
    ("dashboard.index", "Dashboard"),
    ("sequences.index", "Sequences"),
    ("sessions.index", "Sessions"),
    ("learners.index", "Learners"),
    ("refiling.inbox", "Inbox"),
    ("outbox.index", "Outbox"),
    ("simulator.index", "Phone simulator"),
    ("settings.index", "Settings"),
]


def format_local(value, tz_name: str | None = None, fmt: str = "%a %d %b %Y, %H:%M %Z") -> str:
    """Format an aware datetime in a time zone for display."""
    from zoneinfo import ZoneInfo

    if value is None:
        return ""
    return value.astimezone(ZoneInfo(tz_name or "UTC")).strftime(fmt)
