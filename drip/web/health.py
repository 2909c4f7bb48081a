"""Liveness for load balancers and operators."""

from __future__ import annotations

from flask import Blueprint, jsonify

from drip.database import ping
from drip.extensions import db, redis_store

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """200 when the database and Redis answer, 503 naming what is down."""
    checks: dict[str, str] = {}
    try:
        ping()
        checks["database"] = "ok"
    except Exception as error:  # any driver error means "down" here
        db.session.rollback()
        checks["database"] = f"down: {type(error).__name__}"
    try:
        redis_store.connection.ping()
        checks["redis"] = "ok"
    except Exception as error:
        checks["redis"] = f"down: {type(error).__name__}"
    down = sorted(name for name, state in checks.items() if state != "ok")
    body = {"status": "ok" if not down else "down", "checks": checks}
    if down:
        body["down"] = down
    return jsonify(body), 503 if down else 200
