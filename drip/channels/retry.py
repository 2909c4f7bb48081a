"""Retrying transient send failures with capped exponential backoff and full jitter."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from drip.channels.base import Channel, OutgoingMessage, SendResult, TransientSendError


def backoff_delays(
    attempts: int, base: float = 0.5, cap: float = 30, rng: Callable[[], float] = random.random
) -> list[float]:
    """Delays before each of `attempts` retries: uniform in [0, min(cap, base * 2**n)]."""
    # Full jitter spreads workers that failed together, so they do not retry in lockstep.
    return [rng() * min(cap, base * 2**n) for n in range(attempts)]


def send_with_retry(
    channel: Channel,
    message: OutgoingMessage,
    *,
    max_attempts: int = 5,
    sleep: Callable[[float], None] = time.sleep,
    rng: Callable[[], float] = random.random,
    base: float = 0.5,
    cap: float = 30,
    retry_maybe_sent: bool = False,
) -> SendResult:
    """Send, retrying TransientSendError; after max_attempts the last TransientSendError is raised.

    PermanentSendError (and RecipientOptedOut) propagate at once. A transient error whose request
    may have reached the provider (maybe_sent) is raised at once unless retry_maybe_sent is set,
    because a second SMS cannot be unsent; the caller records the delivery as unknown. A
    Retry-After longer than cap is raised too: a worker thread should not sleep that long. The
    error raised is maybe_sent when any attempt was: a later refused connection does not unsend it.

    With retry_maybe_sent, a request that may have arrived is retried (a slow provider), but only
    while the provider can be reached: a refused or unreachable connection after it means the
    network, not the provider, failed, and the first request's answer may be what was lost. The
    loop stops there (the error is in_doubt) rather than retry until the link comes back and send
    the message a second time.
    """
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    delays = backoff_delays(max_attempts - 1, base, cap, rng)
    maybe_sent = False
    for attempt in range(max_attempts):
        try:
            return channel.send(message)
        except TransientSendError as exc:
            cut_off = maybe_sent and exc.unreachable  # it had left, and now the provider is out of reach
            maybe_sent = exc.maybe_sent = maybe_sent or exc.maybe_sent
            if cut_off:
                exc.in_doubt = True
                raise
            if attempt == max_attempts - 1 or (exc.maybe_sent and not retry_maybe_sent):
                raise
            delay = delays[attempt]
            if exc.retry_after is not None:
                if exc.retry_after > cap:
                    raise
                delay = max(delay, exc.retry_after)
            sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover
