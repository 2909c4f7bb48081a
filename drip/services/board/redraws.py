"""Redraws that a whole room asks for at once, published at most every 250 ms per subject, on every process.

A poll answered by ten thousand learners within a minute asks for ten thousand redraws of its chart;
each redraw counts the poll (one aggregate query), so one per vote would cost as much as the votes.
Instead a write that changes what a board shows asks for a redraw of its subject ("poll" and the
poll's step id, or any kind registered here) after its commit:
- when no redraw of that subject went out in the last WINDOW_MS (a Redis key with that expiry, shared
  by every web process and worker), this caller redraws at once: the first vote shows immediately;
- otherwise it leaves a "dirty" mark in Redis and hands the subject to this process's redraw thread,
  which takes the next window as soon as the current one ends and redraws if the mark is still there.
Whoever takes a window clears the mark before counting, so every write committed before the mark was
set is counted in that redraw or a later one; the last vote of a storm is on the board within a
window and a count. Nothing is kept per vote: a process holds at most one entry per subject.
Without Redis nothing is published (the boards' stream is Redis too); the boards refetch on reconnect.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

import redis
from flask import Flask, current_app

from drip.extensions import db, redis_store

WINDOW_MS = 250
DIRTY_MS = 60_000  # a mark nobody took within a minute (its process died) is dropped
_log = logging.getLogger(__name__)
_handlers: dict[str, Callable[[int, int], None]] = {}


def register(kind: str, redraw: Callable[[int, int], None]) -> None:
    """Name a kind of subject and the function that counts and publishes it: redraw(session_id, subject_id)."""
    _handlers[kind] = redraw


def _key(kind: str, session_id: int, subject_id: int) -> str:
    return f"drip:redraw:{kind}:{session_id}:{subject_id}"


def request(kind: str, session_id: int, subject_id: int) -> None:
    """Ask for a redraw of one subject on the session's boards (call after the commit that changed it)."""
    key = _key(kind, session_id, subject_id)
    try:
        connection = redis_store.connection
        if not connection.set(key + ":window", 1, px=WINDOW_MS, nx=True):
            connection.set(key + ":dirty", 1, px=DIRTY_MS)
            _thread().add(key, (current_app._get_current_object(), kind, session_id, subject_id))
            return
        connection.delete(key + ":dirty")  # before counting: see the module's docstring
    except redis.RedisError as error:
        _log.warning("redraw of %s not published: %s", key, error)
        return
    _handlers[kind](session_id, subject_id)


class _RedrawThread:
    """This process's subjects waiting for the next window, one entry each."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._waiting: dict[str, tuple[Flask, str, int, int]] = {}
        self._drawing = 0
        threading.Thread(target=self._run, name="drip-redraws", daemon=True).start()

    def add(self, key: str, subject: tuple[Flask, str, int, int]) -> None:
        """Redraw this subject when its next window opens."""
        with self._lock:
            self._waiting[key] = subject
        self._wake.set()

    def waiting(self) -> int:
        """How many subjects wait for a window in this process, or are being redrawn now."""
        with self._lock:
            return len(self._waiting) + self._drawing

    def _run(self) -> None:
        pause: float | None = None
        while True:
            self._wake.wait(pause)
            self._wake.clear()
            try:
                pause = self._round()
            except Exception:  # Redis or the database away: try again in a moment
                _log.exception("redraws failed")
                pause = 1.0

    def _round(self) -> float | None:
        """Take each open window and redraw; returns how long until the next window ends (None: none waits)."""
        with self._lock:
            waiting = list(self._waiting.items())
        connection, pauses = redis_store.connection, []
        for key, (app, kind, session_id, subject_id) in waiting:
            if not connection.set(key + ":window", 1, px=WINDOW_MS, nx=True):
                pauses.append(max(connection.pttl(key + ":window"), 1) / 1000)
                continue
            with self._lock:
                self._waiting.pop(key, None)  # a request from now on waits for the next window
                self._drawing += 1
            try:
                self._draw(connection, key, app, kind, session_id, subject_id)
            finally:
                with self._lock:
                    self._drawing -= 1
        return min(pauses) if pauses else None

    @staticmethod
    def _draw(connection, key: str, app: Flask, kind: str, session_id: int, subject_id: int) -> None:
        with connection.pipeline() as pipe:
            dirty, _ = pipe.get(key + ":dirty").delete(key + ":dirty").execute()
        if not dirty:  # someone else counted after our mark: give the window back
            connection.delete(key + ":window")
            return
        with app.app_context():
            try:
                _handlers[kind](session_id, subject_id)
            finally:
                db.session.remove()


_current: _RedrawThread | None = None
_started = threading.Lock()


def _thread() -> _RedrawThread:
    global _current
    with _started:
        if _current is None or _current.pid != os.getpid():  # a forked child starts its own
            _current = _RedrawThread()
        return _current


def settle(timeout: float = 5.0) -> bool:
    """Wait until this process has no redraw waiting (tests, a worker stopping); False at the deadline."""
    deadline = time.monotonic() + timeout
    while _current is not None and _current.waiting():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True
