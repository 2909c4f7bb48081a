"""A send rate per sending number, shared by every worker thread, process and machine via Redis."""

from __future__ import annotations

import time
from collections.abc import Callable

# GCRA as a reservation: each call books the next free slot of one emission interval (1/rate)
# on the sender's theoretical arrival time (TAT) and returns how long to wait for it. The caller
# sleeps exactly that long and never polls, so admitted sends are spaced 1/rate apart however
# many workers contend. Time comes from the Redis server, so machine clocks need not agree.
_RESERVE = """
-- Redis < 5 refuses writes after TIME unless the script replicates its effects.
if redis.replicate_commands then pcall(redis.replicate_commands) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local next_tat = tat + interval
local ttl_ms = math.floor((next_tat - now) / 1000) + 1000
redis.call('SET', KEYS[1], string.format('%d', next_tat), 'PX', ttl_ms)
return tat - now
"""


class SharedRateLimiter:
    """At most `rate_per_second` acquisitions per sender key, across all processes sharing Redis."""

    def __init__(
        self,
        redis,
        rate_per_second: float,
        *,
        key_prefix: str = "drip:rate:",
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.rate_per_second = float(rate_per_second)
        self.key_prefix = key_prefix
        self._redis = redis
        self._sleep = sleep
        self._reserve = redis.register_script(_RESERVE) if self.rate_per_second > 0 else None

    @property
    def unlimited(self) -> bool:
        """True when the rate is zero or negative: acquire never waits."""
        return self._reserve is None

    def acquire(self, sender_key: str) -> None:
        """Block until this sender may send one more message."""
        wait = self.reserve(sender_key)
        if wait > 0:
            self._sleep(wait)

    def reserve(self, sender_key: str) -> float:
        """Book the sender's next slot and return the seconds to wait for it (0 = now)."""
        if self._reserve is None:
            return 0.0
        interval_us = max(1, round(1_000_000 / self.rate_per_second))
        wait_us = self._reserve(keys=[self.key_prefix + sender_key], args=[interval_us])
        return max(int(wait_us), 0) / 1_000_000


def limiter_for(app) -> SharedRateLimiter:
    """The SMS rate limiter of this app, on its current Redis client."""
    # Imported here: the limiter itself stays importable without the app (spawned test processes).
    from drip.extensions import redis_store

    connection = redis_store.connection
    cached = app.extensions.get("drip_sms_limiter")
    if cached is None or cached[0] is not connection:
        cached = (connection, SharedRateLimiter(connection, float(app.config.get("SMS_RATE") or 0)))
        app.extensions["drip_sms_limiter"] = cached
    return cached[1]
