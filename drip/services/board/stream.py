"""Server-sent events for the live board, fed by the session's Redis pub/sub channel.

Under gunicorn's gevent workers (the Procfile) each open stream is a greenlet, so a process serves
GREEN_STREAMS_PER_PROCESS of them; under threaded workers each holds a thread, so a process serves
at most BOARD_STREAMS_PER_PROCESS (503 beyond: the page falls back to fetching and retries), and
every stream ends after BOARD_STREAM_SECONDS (shorter than gunicorn's 30 s graceful timeout, so a
restart never waits on a board); EventSource reconnects by itself and the first event of every
connection is a full snapshot, so nothing published in between is lost. A heartbeat comment every
BOARD_HEARTBEAT_SECONDS finds clients that went away without closing.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator

import redis

from drip.extensions import redis_store
from drip.metrics import stream_closed, stream_opened
from drip.services.board.publish import channel_name

DEFAULTS = {"BOARD_STREAMS_PER_PROCESS": 4, "BOARD_STREAM_SECONDS": 25.0, "BOARD_HEARTBEAT_SECONDS": 10.0}
# Under gunicorn's gevent workers (the Procfile's web) a stream is a greenlet waiting on its Redis
# socket, not a thread: a process holds hundreds (each one Redis connection and ~100 KB).
GREEN_STREAMS_PER_PROCESS = 500


def green() -> bool:
    """True in a gevent-patched process (gunicorn -k gevent), where a waiting stream holds no thread."""
    try:
        from gevent import monkey
    except ImportError:
        return False
    return monkey.is_module_patched("socket")


_logger = logging.getLogger(__name__)


class _Slots:
    """Counts this process's open streams against a limit read at each request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.active = 0
        self.generation = 0  # stop_all() bumps it; streams of an older generation end

    def take(self, limit: int) -> bool:
        """Claim a slot for one more stream; False when `limit` are already open."""
        with self._lock:
            if self.active >= limit:
                return False
            self.active += 1
            return True

    def give_back(self) -> None:
        """Free the slot of a stream that ended."""
        with self._lock:
            self.active = max(0, self.active - 1)


slots = _Slots()


def stop_all() -> None:
    """End every open stream of this process within a second (shutdown, tests)."""
    slots.generation += 1


class StreamRefused(Exception):
    """This process already serves as many streams as it may."""


def anonymous(question: dict) -> dict:
    """The projector's copy of a question: no learner name nor pictures, and no text unless it is on the projector."""
    question.pop("learner_name", None)
    question.pop("pictures", None)  # a photo may show faces or a workplace: the trainer's screen only
    if question.get("hidden") or not question.get("on_projector", True):
        question["body"] = ""
    return question


def _anonymous(event: dict) -> dict:
    if "question" in event:
        anonymous(event["question"])
    for question in event.get("questions", ()):
        anonymous(question)
    return event


def _frame(event: dict, anonymous: bool) -> bytes:
    return f"data: {json.dumps(_anonymous(event) if anonymous else event)}\n\n".encode()


class BoardStream:
    """The body of one SSE response: the snapshot, then each published event, with heartbeats."""

    def __init__(self, session_id: int, snapshot: Callable[[], dict], *, anonymous: bool, config) -> None:
        settings = {key: config.get(key, default) for key, default in DEFAULTS.items()}
        if "BOARD_STREAMS_PER_PROCESS" not in config:
            settings["BOARD_STREAMS_PER_PROCESS"] = GREEN_STREAMS_PER_PROCESS if green() else 4
        if not slots.take(int(settings["BOARD_STREAMS_PER_PROCESS"])):
            raise StreamRefused()
        stream_opened()
        self._closed = False
        self._pubsub = None
        try:
            self._pubsub = redis_store.connection.pubsub()
            self._pubsub.subscribe(channel_name(session_id))
            # Wait for the subscription before reading the snapshot: no event can fall in between.
            self._pubsub.get_message(timeout=2.0)
            first = snapshot()
        except Exception:
            self.close()
            raise
        self._events = self._run(
            first, anonymous, float(settings["BOARD_STREAM_SECONDS"]), float(settings["BOARD_HEARTBEAT_SECONDS"])
        )

    def _run(self, first: dict, anonymous: bool, lifetime: float, heartbeat: float) -> Iterator[bytes]:
        generation = slots.generation
        started = last_write = time.monotonic()
        yield b"retry: 250\n" + _frame(first, anonymous)  # reconnect at once after the lifetime ends
        while slots.generation == generation:
            now = time.monotonic()
            if now - started >= lifetime:
                return
            try:
                message = self._pubsub.get_message(ignore_subscribe_messages=True, timeout=min(1.0, lifetime))
            except (redis.RedisError, OSError) as error:
                _logger.warning("board stream ends: %s", error)
                return
            if message is not None and message.get("type") == "message":
                try:
                    event = json.loads(message["data"])
                except ValueError:
                    continue
                last_write = time.monotonic()
                yield _frame(event, anonymous)
            elif time.monotonic() - last_write >= heartbeat:
                last_write = time.monotonic()
                yield b": heartbeat\n\n"

    def __iter__(self) -> BoardStream:
        return self

    def __next__(self) -> bytes:
        try:
            return next(self._events)
        except StopIteration:
            self.close()
            raise

    def close(self) -> None:
        """Release the thread's slot and the Redis connection; the WSGI server calls this when the client leaves."""
        if self._closed:
            return
        self._closed = True
        if getattr(self, "_events", None) is not None:
            self._events.close()
        if self._pubsub is not None:
            try:
                self._pubsub.close()
            except (redis.RedisError, OSError):
                pass
        slots.give_back()
        stream_closed()
