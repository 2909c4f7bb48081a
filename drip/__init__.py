"""Drip: sequences of short emails and SMS that make training stick."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from flask import Flask

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask app: configuration, extensions, blueprints and CLI. Nothing runs at import."""
    from drip import config as settings
    from drip.extensions import csrf, db, login_manager, migrate, redis_store

    app = Flask(__name__, template_folder=str(TEMPLATES))
    app.config.from_mapping(settings.load(config))
    Path(app.config["INSTANCE_PATH"]).mkdir(parents=True, exist_ok=True)

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
    init_web(app)
    init_cli(app)
    return app
