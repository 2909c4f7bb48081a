"""A time budget for parsing hostile input: past it, a parser stops and Drip keeps the raw text.

Each parsing step is linear in its (bounded) input; the budget is the second line of defence,
checked between steps and inside the line loops, so one slow shape nobody thought of costs a
worker a fraction of a second, never minutes.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

PARSE_SECONDS = 0.25  # of the parsing thread's CPU per email, all steps together
GRACE = 2  # fresh budgets at most, each after a full collection of the heap that ran during the parse


def _full_collections() -> int:
    """How many times the garbage collector has walked the whole heap in this process."""
    return gc.get_stats()[-1]["collections"]


class OverBudget(RuntimeError):
    """A parse ran past its time budget: the caller keeps the raw text instead."""


class Budget:
    """A deadline on a clock: the parsing thread's CPU time by default (tests pass their own).

    CPU, not wall time: a worker thread waiting for a core on a busy machine (or for the GIL behind
    its sending threads) is not the email's cost, and must not make an ordinary reply keep its
    quoted history. Nor is a collection of the whole heap that starts while it is parsed (half a second
    in a big process): when the deadline is reached after one ran, the parse gets a fresh budget
    (GRACE times at most)."""

    def __init__(self, seconds: float = PARSE_SECONDS, clock: Callable[[], float] = time.thread_time):
        self._clock, self._seconds, self._grace = clock, seconds, GRACE
        self.deadline = clock() + seconds
        self._collections = _full_collections()

    def spent(self) -> bool:
        """Whether the deadline has passed."""
        if self._clock() < self.deadline:
            return False
        collections = _full_collections()
        if collections != self._collections and self._grace > 0:  # the collector's time, not the parse's
            self._collections, self._grace = collections, self._grace - 1
            self.deadline = self._clock() + self._seconds
            return False
        return True

    def check(self) -> None:
        """Raise OverBudget once the deadline has passed."""
        if self.spent():
            raise OverBudget("parse time budget spent")


def unlimited() -> Budget:
    """A budget that never runs out (for callers that bound their input otherwise)."""
    return Budget(float("inf"))
