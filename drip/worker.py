"""The worker process: an RQ worker with the scheduler on."""
from __future__ import annotations

from flask import current_app
from rq import Worker

from drip.extensions import redis_store
from drip.queues import SEND_QUEUE


def run_worker(*, burst: bool = False) -> None:
    """Work the send queue until stopped; jobs run inside this app's context."""
    app = current_app._get_current_object()
    worker = Worker([SEND_QUEUE], connection=redis_store.connection)
    with app.app_context():
        worker.work(with_scheduler=True, burst=burst)
