"""Reads handed out again while they are young: what many readers of one session ask for alike."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any


class Recent:
    """One app's recent reads: key → (when, value), each handed out again for `max_age` seconds."""

    def __init__(self, max_age: float, clock: Callable[[], float] = time.monotonic):
        self.max_age, self.clock, self.kept, self.lock = max_age, clock, {}, threading.Lock()

    def get(self, key: Hashable, read: Callable[[], Any]) -> Any:
        """The value kept under `key` if younger than max_age, else `read()`, kept from now."""
        now = self.clock()
        kept = self.kept.get(key)
        if kept is not None and now - kept[0] < self.max_age:
            return kept[1]
        value = read()
        with self.lock:
            if len(self.kept) > 1000:  # sessions read at once are few: this only stops a leak
                self.kept.clear()
            self.kept[key] = (now, value)
        return value

    def drop(self, which: Callable[[Hashable], bool] | None = None) -> None:
        """Read afresh next time: the keys `which` picks, or all."""
        with self.lock:
            for key in [key for key in self.kept if which is None or which(key)]:
                del self.kept[key]
