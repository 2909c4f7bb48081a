"""Worker threads that apply stored webhooks: one lane for inbound messages, one for status callbacks and events
(and one that fetches learners' MMS pictures).

Two lanes, so a live question is never behind a storm of status callbacks: the inbound lane routes
a few texts at a time and its board event goes out as soon as each is committed, while the status
lane works through callbacks 500 at a time. Each lane sleeps on its Redis wake-up list and polls
the database when none comes (a lost wake-up, Redis flushed or down), so a stored webhook is always
applied; `receipts.claim` makes it safe for any number of workers.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from flask import Flask

from drip.extensions import db, redis_store
from drip.services.webhooks.intake import WAKE_KEYS

log = logging.getLogger(__name__)
# Without a wake-up, how often a lane looks anyway: wake-ups are lost only when Redis is flushed or
# restarted, so a lane that can reach Redis looks every second; one that cannot, four times as often.
POLL_SECONDS = {"inbound": 1.0, "callbacks": 1.0, "media": 1.0}
POLL_SECONDS_WITHOUT_REDIS = {"inbound": 0.25, "callbacks": 1.0, "media": 1.0}
ANSWER_SENDERS = 4  # an answer is one provider request (~150 ms): never in the routing lane itself


def _apply_inbound(app: Flask, answers: ThreadPoolExecutor) -> int:
    from drip.services.inbound.apply import apply_pending_inbound, send_answer

    claimed, to_send = apply_pending_inbound()
    for answer in to_send:
        answers.submit(_in_context, app, send_answer, answer)
    return claimed


def _apply_statuses(app: Flask, _answers: ThreadPoolExecutor) -> int:
    from drip.services.webhooks.apply_statuses import apply_pending_statuses

    return apply_pending_statuses()


def _fetch_pictures(app: Flask, _answers: ThreadPoolExecutor) -> int:
    from drip.services.media.pictures import fetch_due

    return fetch_due()


def _in_context(app: Flask, function: Callable, *args) -> None:
    with app.app_context():
        try:
            function(*args)
        except Exception:
            log.exception("%s failed", getattr(function, "__name__", function))
        finally:
            db.session.remove()


class Appliers:
    """The two lanes of one worker process."""

    # A third lane fetches learners' MMS pictures: a slow media store never holds up routing.
    LANES = {"inbound": _apply_inbound, "callbacks": _apply_statuses, "media": _fetch_pictures}

    def __init__(self, app: Flask, fork_guard: threading.Lock | None = None):
        self.app = app
        # Only a forking worker needs the lanes to hold its fork guard (no lock held across a fork);
        # otherwise sharing one lock would make a live question wait for a batch of callbacks.
        self.fork_guard = fork_guard or contextlib.nullcontext()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._answers = ThreadPoolExecutor(ANSWER_SENDERS, thread_name_prefix="drip-answer")
        # Set while the inbound lane routes: the status lane waits for it, so under a storm of
        # callbacks a live question gets the process's CPU (the GIL) first, not a share of it.
        self._routing = threading.Event()

    def start(self) -> None:
        """Start both lanes."""
        for lane in self.LANES:
            thread = threading.Thread(target=self._run, args=(lane,), name=f"drip-apply-{lane}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        """Stop the lanes (each within one poll) and let queued answers go out."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self._answers.shutdown(wait=True)

    def drain(self) -> int:
        """Apply everything stored now, in this thread (burst mode, `flask drip dispatch`)."""
        total = 0
        with self.app.app_context():
            for apply in self.LANES.values():
                while claimed := apply(self.app, self._answers):
                    total += claimed
                db.session.remove()
        self._answers.shutdown(wait=True)
        self._answers = ThreadPoolExecutor(ANSWER_SENDERS, thread_name_prefix="drip-answer")
        return total

    def _wait(self, lane: str) -> None:
        try:
            redis_store.connection.blpop([WAKE_KEYS[lane]], timeout=POLL_SECONDS[lane])
        except Exception:  # Redis away: poll the database instead
            self._stop.wait(POLL_SECONDS_WITHOUT_REDIS[lane])

    def _run(self, lane: str) -> None:
        apply = self.LANES[lane]
        with self.app.app_context():
            while not self._stop.is_set():
                claimed = 0
                try:
                    # Clear the wake-up before looking: one that arrives while we apply wakes the next wait.
                    redis_store.connection.delete(WAKE_KEYS[lane])
                except Exception:
                    pass
                if lane == "callbacks":
                    while self._routing.is_set() and not self._stop.is_set():
                        self._stop.wait(0.005)
                with self.fork_guard:
                    try:
                        if lane == "inbound":
                            self._routing.set()
                        claimed = apply(self.app, self._answers)
                    except Exception:  # the database away for a moment: the next round tries again
                        log.exception("%s lane failed", lane)
                        db.session.rollback()
                        self._stop.wait(POLL_SECONDS[lane])
                    finally:
                        if lane == "inbound" and not claimed:
                            self._routing.clear()
                        db.session.remove()
                if not claimed:
                    self._wait(lane)
