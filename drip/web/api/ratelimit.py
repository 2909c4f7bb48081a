"""Per-token rate limit: API_RATE_LIMIT calls per API_RATE_WINDOW seconds, shared via Redis.

A sliding window kept as GCRA (a token bucket in one Redis key): a token may spend its whole
allowance at once, then earns one call back every window/limit seconds. There is no window edge
where two allowances can be spent back to back, and time comes from the Redis server so every
web process counts alike.
"""

from __future__ import annotations

import logging
import math

import redis
from flask import Flask, Response, current_app, g

from drip.extensions import redis_store
from drip.web.api.errors import ApiError

log = logging.getLogger(__name__)
KEY_PREFIX = "drip:api:rate:"
DEFAULT_LIMIT = 120
DEFAULT_WINDOW_SECONDS = 60

# Returns {allowed (1|0), microseconds until the next call is allowed, calls left now}.
_TAKE = """
if redis.replicate_commands then pcall(redis.replicate_commands) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local next_tat = tat + interval
local allow_at = next_tat - window
if allow_at > now then
  return {0, allow_at - now, 0}
end
redis.call('SET', KEYS[1], string.format('%d', next_tat), 'PX', math.floor((next_tat - now) / 1000) + 1)
return {1, 0, math.floor((now + window - next_tat) / interval)}
"""


def _settings(app: Flask) -> tuple[int, float]:
    return (
        int(app.config.get("API_RATE_LIMIT", DEFAULT_LIMIT)),
        float(app.config.get("API_RATE_WINDOW", DEFAULT_WINDOW_SECONDS)),
    )


def _script(app: Flask):
    script = app.extensions.get("drip_api_rate_script")
    if script is None:  # registered on first use: no Redis client at import or app creation
        script = app.extensions["drip_api_rate_script"] = redis_store.connection.register_script(_TAKE)
    return script


def take(token_key: str, app: Flask) -> tuple[bool, float, int]:
    """Count one call for a token: (allowed, seconds until the next allowed call, calls left)."""
    limit, window = _settings(app)
    window_us = max(1, round(window * 1_000_000))
    allowed, wait_us, left = _script(app)(
        keys=[KEY_PREFIX + token_key], args=[max(1, window_us // limit), window_us], client=redis_store.connection
    )
    return bool(allowed), int(wait_us) / 1_000_000, int(left)


def enforce() -> None:
    """Refuse with 429 and Retry-After once a token has used its allowance (a limit of 0 is no limit)."""
    app = current_app._get_current_object()
    limit, _ = _settings(app)
    token_key = g.get("api_token_key")
    if token_key is None or limit <= 0:
        return
    try:
        allowed, wait, left = take(token_key, app)
    except redis.RedisError as error:
        # Redis only carries work in flight: while it is down the API keeps answering, unlimited.
        log.warning("API rate limit not applied, Redis is unavailable: %s", error)
        return
    g.api_rate = (limit, left)
    if not allowed:
        seconds = max(1, math.ceil(wait))
        raise ApiError(
            429,
            f"Rate limit of {limit} calls per {_settings(app)[1]:g} seconds reached; retry in {seconds} s.",
            headers={"Retry-After": str(seconds), "X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": "0"},
        )


def add_headers(response: Response) -> Response:
    """Tell the caller its limit and what is left of it."""
    rate = g.get("api_rate")
    if rate is not None and "X-RateLimit-Limit" not in response.headers:
        response.headers["X-RateLimit-Limit"] = str(rate[0])
        response.headers["X-RateLimit-Remaining"] = str(rate[1])
    return response
