"""A web process pays for its first webhook when it starts, not in the first requests of a storm.

The first Twilio webhook a fresh gunicorn worker answered took 0.26-0.31 s on a quiet machine
(0.2-0.7 s under load) against about 10 ms for the next: the mappers configured (80 ms), the first
pool connection opened and the first ORM query compiled (the join keywords), the group commit's own
connection, the first Redis connection, prometheus_client imported for the latency metric. Every
request that arrived meanwhile waited behind it, so after each start (a deploy, a restart) the first
requests of a poll storm were its slowest, p99 included (bench/README.md, "Issue 28, fourth pass").

gunicorn calls `warm_up` (gunicorn.conf.py, post_worker_init) in each web worker once the app is
loaded and before it takes a request. Then, as the Drip worker does, the loaded app is frozen out of
the collector's way: a full collection would otherwise walk its ~190,000 objects in a request.
"""

from __future__ import annotations

import gc
import logging

import redis
from flask import Flask
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import configure_mappers

from drip.metrics import metrics

_logger = logging.getLogger(__name__)


def warm_up(app: Flask) -> None:
    """Do now what the first webhook would: mappers, metrics, PostgreSQL and Redis connections; freeze the heap."""
    from drip.services.webhooks import intake

    try:
        configure_mappers()
        metrics()
        with app.app_context():
            intake.warm_up()
    except (SQLAlchemyError, redis.RedisError) as error:  # not up yet: the first requests connect, as before
        _logger.warning("web process not warmed up (its first requests will connect): %s", error)
    except Exception:  # noqa: BLE001 - a warm-up is never worth a web worker that does not boot
        _logger.exception("web process not warmed up")
    gc.collect()
    gc.freeze()
