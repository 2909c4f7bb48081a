"""The RQ queues Drip uses."""

from __future__ import annotations

from rq import Queue

from drip.extensions import redis_store

SEND_QUEUE = "drip"


def send_queue() -> Queue:
    """The queue send jobs go on."""
    return Queue(SEND_QUEUE, connection=redis_store.connection)
