"""Publishing a board event on a session's Redis channel: the one place the board's pushes go out.

Any web process may receive the webhook and any other may hold the trainer's event stream, so every
change is published on the session's channel after it is committed (see stream for the reader).
"""

from __future__ import annotations

import json
import logging

import redis

from drip.extensions import redis_store

_logger = logging.getLogger(__name__)


def channel_name(session_id: int) -> str:
    """The Redis pub/sub channel of one session's board.

    Pub/sub ignores the database number, so the channel names it: two deployments (or a test run and
    a benchmark) sharing one Redis server on different databases never see each other's boards."""
    database = redis_store.connection.connection_pool.connection_kwargs.get("db", 0)
    return f"drip:{database}:board:{session_id}"


def publish_event(session_id: int, event: dict) -> None:
    """Send a prepared event to every open board of the session (call after commit)."""
    # The change is committed already: if Redis is down, the next (re)connection's snapshot shows it.
    try:
        redis_store.connection.publish(channel_name(session_id), json.dumps(event))
    except redis.RedisError as error:
        _logger.warning("board event for session %s not published: %s", session_id, error)


def publish_events(events: list[tuple[int, dict]]) -> None:
    """publish_event for many (session id, event) pairs in one round trip (a worker's batch of questions)."""
    if not events:
        return
    try:
        with redis_store.connection.pipeline(transaction=False) as pipe:
            for session_id, event in events:
                pipe.publish(channel_name(session_id), json.dumps(event))
            pipe.execute()
    except redis.RedisError as error:
        _logger.warning("%s board events not published: %s", len(events), error)
