"""`GET /metrics`: Prometheus text format, behind DRIP_METRICS_TOKEN (404 while it is unset)."""

from __future__ import annotations

import hmac
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, request

from drip.web import public

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
@public
def scrape():
    """Every process's metrics summed (multiprocess files), plus the database and Redis state."""
    token = current_app.config.get("METRICS_TOKEN") or ""
    if not token:
        abort(404)
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return Response(
            "Bearer token required.\n",
            status=401,
            mimetype="text/plain",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess

    from drip.metrics import forget_dead
    from drip.services.metrics_state import StateCollector

    folder = current_app.config["METRICS_DIR"]
    forget_dead(Path(folder))  # a worker killed without a clean exit leaves its open-stream gauge behind
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=folder)
    registry.register(StateCollector())
    return Response(
        generate_latest(registry),
        mimetype=CONTENT_TYPE_LATEST.split(";")[0],
        headers={"Content-Type": CONTENT_TYPE_LATEST},
    )
