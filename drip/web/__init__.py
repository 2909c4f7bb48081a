"""Blueprints, the login wall and error pages."""

from __future__ import annotations

from importlib import import_module

from flask import Flask, current_app, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, ServiceUnavailable

from drip.domain import catalog, languages
from drip.domain.step_names import name_of
from drip.web.clock import beside, format_in_session, format_in_zone, format_local
from drip.extensions import csrf, db, login_manager
from drip.services.webhooks.group_commit import IntakeFailed
from drip.web.cookies import BrowserSessions
from drip.web.headers import init_app as init_headers
from drip.web.learner_language import init_app as init_learner_language
from drip.web.ids import init_app as init_ids
from drip.web.ids import parse_id
from drip.web.limits import init_app as init_limits
from drip.web.body_deadline import BodyDeadline
from drip.web import cohort_parts
from drip.services.cohort import shared as cohort_shared
from drip.web.reader_forward import init_app as init_reader_forward
from drip.web.reader_gate import ReaderGate, watch_statements
from drip.web.room_refresh import RoomFastPath
from drip.web.twilio_fast_path import TwilioFastPath

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
    "drip.web.learner_admin",
    "drip.web.archive",
    "drip.web.account",
    "drip.web.outbox",
    "drip.web.board",
    "drip.web.board_after",
    "drip.web.replies",
    "drip.web.refiling",
    "drip.web.sharing",
    "drip.web.simulator",
    "drip.web.status_hooks",
    "drip.web.inbound_hooks",
    "drip.web.public",
    "drip.web.cohort",
    "drip.web.cohort_admin",
    "drip.web.settings",
    "drip.web.media",
    "drip.web.media_files",
    "drip.web.api",
]

# Endpoints reachable without login; everything else is behind the login wall.
PUBLIC_BLUEPRINTS = {
    "auth",
    "health",
    "webhooks_status",
    "webhooks_inbound",
    "api",
    "public",
    "media_files",
    "cohort",
}
# These authenticate each request themselves (provider signature, bearer token, or the
# unguessable token of a one-click unsubscribe link), so they carry no CSRF token. The cohort page
# has no login session to bind a token to: its forms carry one bound to the link (web/cohort.py).
CSRF_EXEMPT_BLUEPRINTS = {"webhooks_status", "webhooks_inbound", "api", "public", "cohort"}


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
    # Keep what the exception says in its headers (Allow on a 405, Retry-After, WWW-Authenticate).
    headers = [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]
    if _wants_json():
        return jsonify(error=error.name, details=error.description), error.code, headers
    return render_template("error.html", error=error), error.code, headers


def _loggable(path: str) -> str:
    """A path as the logs may keep it: the route's pattern, so no token of a link (a cohort page, an unsubscribe,
    a poll answer) is written down; the path itself only when no route matched."""
    return request.url_rule.rule if request.url_rule is not None else path


def _server_error(error: Exception):
    current_app.logger.exception("Unhandled error on %s %s", request.method, _loggable(request.path))
    db.session.rollback()
    if _wants_json():
        return jsonify(error="Internal Server Error", details="Something went wrong on our side."), 500
    return render_template("error.html", error=None), 500


def _unavailable(error: Exception):
    """The database (or the batch a webhook was stored in) failed for now: 503, and when to try again."""
    current_app.logger.warning("Database unavailable on %s %s: %s", request.method, _loggable(request.path), error)
    db.session.rollback()
    headers = {"Retry-After": "5"}
    details = "The database is not answering; try again in a few seconds."
    if _wants_json():
        return jsonify(error="Service Unavailable", details=details), 503, headers
    return render_template("error.html", error=ServiceUnavailable(details)), 503, headers


def _csrf_error(error: CSRFError):
    if _wants_json():
        return jsonify(error="Bad Request", details=error.description), 400
    return render_template("error.html", error=error), 400


@login_manager.user_loader
def _load_trainer(cookie_id: str):
    """The trainer of a login cookie, only while the session version it carries is current."""
    from drip.services.accounts import session_matches, trainer_by_id

    raw_id, _, version = str(cookie_id).partition(":")
    trainer_id = parse_id(raw_id)
    trainer = trainer_by_id(trainer_id) if trainer_id else None
    return trainer if session_matches(trainer, version) else None


def init_app(app: Flask) -> None:
    """Register every blueprint, the login wall and the error pages."""
    init_ids(app)
    app.session_interface = BrowserSessions()
    for name in BLUEPRINT_MODULES:
        blueprint = import_module(name).bp
        if blueprint.name in CSRF_EXEMPT_BLUEPRINTS:
            csrf.exempt(blueprint)
        app.register_blueprint(blueprint)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    app.before_request(_require_login)
    init_headers(app)
    init_learner_language(app)
    init_limits(app)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _error_page)
    app.register_error_handler(Exception, _server_error)
    for unavailable in (OperationalError, InterfaceError, IntakeFailed):
        app.register_error_handler(unavailable, _unavailable)
    # Cohort-page readers a few at a time, never ahead of a webhook.
    app.wsgi_app = gate = ReaderGate(app.wsgi_app, app.config)
    app.extensions["drip_reader_gate"] = gate
    with app.app_context():  # a reader's rows wait for the webhooks whose statements answered with them
        watch_statements(db.engine)
    app.wsgi_app = RoomFastPath(app, app.wsgi_app)  # room refreshes from memory, without taking a turn
    init_reader_forward(app)  # under gunicorn, /c/ is served by the reader workers (drip.reader_processes)
    app.wsgi_app = TwilioFastPath(app, app.wsgi_app)  # the two webhooks that come by the thousand
    # Outermost: a body that stops arriving is given up after a few idle seconds, on every path.
    app.wsgi_app = BodyDeadline(app.wsgi_app, app.config["BODY_IDLE_SECONDS"])
    app.jinja_env.globals["nav_items"] = NAV_ITEMS
    app.jinja_env.globals["moderations"] = catalog.MODERATIONS
    app.jinja_env.globals["TRAINER_REPLY"] = catalog.TRAINER_REPLY
    app.jinja_env.globals["moderation_row"] = catalog.moderation
    app.jinja_env.filters["step_name"] = name_of
    # The phone simulator answers 404 unless SMS go to the outbox, so the nav leaves it out then.
    app.jinja_env.globals["current_app_endpoints"] = lambda: [
        name for name in app.view_functions if name != "simulator.index" or app.config["SMS_PROVIDER"] == "outbox"
    ]
    app.jinja_env.filters["local"] = format_local
    app.jinja_env.filters["channel_label"] = channel_label
    app.jinja_env.filters["reply_label"] = reply_label
    app.jinja_env.filters["step_label"] = step_label
    app.jinja_env.filters["in_zone"] = format_in_zone
    app.jinja_env.filters["in_session"] = format_in_session
    app.jinja_env.filters["beside"] = beside
    app.jinja_env.filters["phone"] = format_phone
    app.jinja_env.globals["supported_languages"] = languages.choices
    # The cohort page's public HTML, made once for all its readers (web/cohort_parts.py).
    app.jinja_env.globals["cohort_peers"] = cohort_parts.peers_html
    app.jinja_env.globals["cohort_questions"] = cohort_parts.questions_html
    cohort_shared.watch()  # a change committed in this process reaches the cohort pages at once


def channel_label(name: str) -> str:
    """A channel as the trainer reads it (domain/catalog.py spells it)."""
    row = catalog.channel(name)
    return row.label if row else name


def step_label(name: str, short: bool = False) -> str:
    """A step kind as the trainer reads it; short=True for headings and badges."""
    row = catalog.step_kind(name)
    return (row.short_label if short else row.label) if row else name


def reply_label(name: str, short: bool = False) -> str:
    """A reply kind as the trainer reads it; short=True for the tighter badge wording."""
    row = catalog.reply_kind(name)
    return (row.short_label if short else row.label) if row else name


# (endpoint, label): the admin navigation; an entry shows once its endpoint exists.
NAV_ITEMS = [
    ("dashboard.index", "Dashboard"),
    ("sequences.index", "Sequences"),
    ("sessions.index", "Sessions"),
    ("learners.index", "Learners"),
    ("media.index", "Media"),
    ("refiling.inbox", "Inbox"),
    ("outbox.index", "Outbox"),
    ("simulator.index", "Phone simulator"),
    ("settings.index", "Settings"),
]


def format_phone(value: str | None) -> str:
    """An E.164 number as people read it aloud: "+1 500-555-0006"; anything else unchanged."""
    import phonenumbers

    try:
        number = phonenumbers.parse(value or "", None)
    except phonenumbers.NumberParseException:
        return value or ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
