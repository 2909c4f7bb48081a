"""Rate limits per cohort link, shared by every web process through Redis."""

from __future__ import annotations

import hashlib
import logging
import time

import redis

from drip.extensions import redis_store

log = logging.getLogger(__name__)
# action → (allowed, per seconds): a learner posts a few answers, and presses vote buttons more often.
LIMITS = {"post": (10, 600), "vote": (60, 60), "poll": (10, 600)}


def allow(token: str, action: str, now: float | None = None) -> bool:
    """Count one action for a link; False once its allowance for the current window is spent."""
    limit, window = LIMITS[action]
    bucket = int((now if now is not None else time.time()) // window)
    # The key holds a hash, never the link itself: Redis dumps and monitors see no working token.
    key = f"drip:cohort:rate:{action}:{hashlib.sha256(token.encode()).hexdigest()[:32]}:{bucket}"
    try:
        pipe = redis_store.connection.pipeline()
        pipe.incr(key)
        pipe.expire(key, window * 2)
        count = pipe.execute()[0]
    except redis.RedisError as error:
        # Redis only carries work in flight: while it is down the page keeps working, unlimited.
        log.warning("cohort rate limit not applied, Redis is unavailable: %s", error)
        return True
    return int(count) <= limit
