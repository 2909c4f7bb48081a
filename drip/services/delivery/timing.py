"""How far ahead the dispatcher claims, and how long a send job may run: shared by dispatch, send and the worker."""

from __future__ import annotations

from flask import current_app


def lookahead() -> float:
    """Seconds ahead of due a tick claims: one tick and a margin, so each send waits for its due time
    in the sending pool's timer (sending_pool) instead of for the next tick (up to a tick late)."""
    config = current_app.config
    return float(config.get("DISPATCH_LOOKAHEAD_SECONDS", 2 * float(config["DISPATCH_INTERVAL_SECONDS"])))


def job_timeout(count: int) -> int:
    """Seconds a send job may run: its sends, their retries, and waits for the SMS rate limit."""
    rate = float(current_app.config.get("SMS_RATE") or 0)
    waiting = count / rate if rate > 0 else 0
    return int(600 + 2 * waiting)
