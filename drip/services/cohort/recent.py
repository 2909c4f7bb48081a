"""Reads handed out again while they are young: what many readers of one session ask for alike."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_memory_only: ContextVar[bool] = ContextVar("drip_recent_memory_only", default=False)


class NotKept(LookupError):
    """An answer asked for from memory alone needs a read: nothing young enough is kept."""


@contextmanager
def from_memory() -> Iterator[None]:
    """Within it, a read that is not kept raises NotKept instead of reading (an answer that must cost nothing)."""
    token = _memory_only.set(True)
    try:
        yield
    finally:
        _memory_only.reset(token)


def must_read() -> None:
    """Raise NotKept when reads are refused (from_memory): call before any read not made through Recent."""
    if _memory_only.get():
        raise NotKept


class Recent:
    """One app's recent reads: key → (when, value), each handed out again for `max_age` seconds."""

    def __init__(self, max_age: float, clock: Callable[[], float] = time.monotonic):
        self.max_age, self.clock, self.kept, self.lock = max_age, clock, {}, threading.Lock()
        self.generation = 0  # moved on by every drop: a read begun before it is handed out once, not kept

    def get(self, key: Hashable, read: Callable[[], Any]) -> Any:
        """The value kept under `key` if younger than max_age, else `read()`, kept from now."""
        now = self.clock()
        kept = self.kept.get(key)
        if kept is not None and now - kept[0] < self.max_age:
            return kept[1]
        must_read()
        generation = self.generation
        value = read()
        with self.lock:
            if self.generation != generation:  # dropped while it was read: it may be older than the change
                return value
            if len(self.kept) > 1000:  # sessions read at once are few: this only stops a leak
                self.kept.clear()
            self.kept[key] = (now, value)
        return value

    def drop(self, which: Callable[[Hashable], bool] | None = None) -> None:
        """Read afresh next time: the keys `which` picks, or all."""
        with self.lock:
            self.generation += 1
            for key in [key for key in self.kept if which is None or which(key)]:
                del self.kept[key]
