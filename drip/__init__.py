"""Drip: sequences of short emails and SMS that make training stick."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:
    from flask import Flask

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def _private_folder(folder: Path) -> None:
    """instance/ holds the database, the secret key and the demo password: owner only."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        if folder.stat().st_mode & 0o077:
            folder.chmod(0o700)
        for path in folder.glob("drip.db*"):
            if path.stat().st_mode & 0o077:
                path.chmod(0o600)
    except PermissionError:
        pass  # a folder this user does not own (a shared mount): its owner decides who reads it


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask app: configuration, extensions, blueprints and CLI. Nothing runs at import.

    Flask is imported here, not with the package: gunicorn's master imports `drip.reader_processes`
    (gunicorn.conf.py), and a Flask loaded there, before the gevent workers patch threading, leaves
    its logging handler to die after gevent's thread module at each worker's exit (a traceback).
    """
    from flask import Flask

    from drip import config as settings
    from drip.extensions import csrf, db, login_manager, migrate, redis_store

    app = Flask(__name__, template_folder=str(TEMPLATES))
    app.config.from_mapping(settings.load(config))
    _private_folder(Path(app.config["INSTANCE_PATH"]))

    from drip import metrics

    metrics.init_app(app)  # first: it chooses where prometheus_client keeps this process's values
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    redis_store.init_app(app)

    from drip import models  # noqa: F401  (registers every table on the metadata)
    from drip.database import init_app as init_database
    from drip.web import init_app as init_web
    from drip.cli import init_app as init_cli

    init_database(app)
    from drip.database import record_outbox
    from drip.services.board import poll_words  # noqa: F401  (counts open polls' words as answers are filed)
    from drip.services.delivery.opt_outs import OWNER
    from drip.services.inbound.optout import provider_opt_out

    app.extensions["drip_outbox_record"] = record_outbox  # the outbox channel writes through it, unaware of models
    app.extensions[OWNER] = provider_opt_out  # the send path passes providers' opt-outs on through it
    init_web(app)
    init_cli(app)
    return app
