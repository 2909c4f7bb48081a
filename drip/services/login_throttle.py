"""Failed logins counted in Redis: atomically, per (email, address), per address and per email.

Each attempt takes its count before the password is checked, so 24 concurrent guesses get 5
checks, not 24. An unknown email is counted exactly like a known one, so the answers never
tell which emails have accounts. Counting per (email, address) means a stranger locks out only
themselves; the per-email ceiling, much higher, still slows guessing spread over many addresses.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

import redis

from drip.extensions import redis_store

log = logging.getLogger(__name__)
KEY_PREFIX = "drip:login:"


@dataclass(frozen=True)
class Limit:
    """At most `attempts` within `seconds` for one key."""

    name: str
    attempts: int
    seconds: int


PAIR = Limit("pair", 5, 15 * 60)  # one email from one address: the classic lockout
ADDRESS = Limit("address", 30, 15 * 60)  # any emails from one address: stops spraying
ACCOUNT = Limit("account", 100, 15 * 60)  # one email from anywhere: slows a distributed guess

# INCR every key (creating it with its expiry), then say which limit, if any, is now exceeded.
_TAKE = """
local over = ''
local wait = 0
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  if count == 1 then redis.call('EXPIRE', key, ARGV[i * 2]) end
  if count > tonumber(ARGV[i * 2 - 1]) and over == '' then
    over = key
    wait = redis.call('TTL', key)
  end
end
return {over, wait}
"""


def _digest(text: str) -> str:
    # Emails and addresses are personal data: Redis holds only a digest of them.
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _keys(email: str, address: str) -> list[tuple[str, Limit]]:
    return [
        (f"{KEY_PREFIX}{PAIR.name}:{_digest(email + ' ' + address)}", PAIR),
        (f"{KEY_PREFIX}{ADDRESS.name}:{_digest(address)}", ADDRESS),
        (f"{KEY_PREFIX}{ACCOUNT.name}:{_digest(email)}", ACCOUNT),
    ]


def take_attempt(email: str, address: str) -> int:
    """Count one attempt; 0 when it may go ahead, else the seconds to wait before the next one."""
    keys = _keys(email, address)
    args = [str(value) for _, limit in keys for value in (limit.attempts, limit.seconds)]
    try:
        over, wait = redis_store.connection.eval(_TAKE, len(keys), *[key for key, _ in keys], *args)
    except redis.RedisError as error:
        # Redis only carries work in flight: while it is down, logins are not throttled.
        log.warning("Login throttle not applied, Redis is unavailable: %s", error)
        return 0
    return max(1, int(wait)) if over else 0


def forget_failures(email: str, address: str) -> None:
    """After a right password: that email from that address starts afresh, and the attempt is given back.

    So a room of trainers signing in from one office address never counts against each other.
    """
    (pair, _), (by_address, _), (by_account, _) = _keys(email, address)
    try:
        with redis_store.connection.pipeline() as pipe:
            pipe.delete(pair).decr(by_address).decr(by_account).execute()
    except redis.RedisError as error:
        log.warning("Login throttle not reset, Redis is unavailable: %s", error)
