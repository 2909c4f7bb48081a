"""A time budget for parsing hostile input: past it, a parser stops and Drip keeps the raw text.

Each parsing step is linear in its (bounded) input; the budget is the second line of defence,
checked between steps and inside the line loops, so one slow shape nobody thought of costs a
worker a fraction of a second, never minutes.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable

PARSE_SECONDS = 0.25  # of the parsing thread's CPU per email, all steps together
_collections = threading.local()  # this thread's CPU in the collector so far, and when the running one began


def _count_collection(phase: str, _info: dict) -> None:
    now = time.thread_time()
    if phase == "start":
        _collections.began = now
    else:
        _collections.seconds = getattr(_collections, "seconds", 0.0) + now - getattr(_collections, "began", now)


gc.callbacks.append(_count_collection)


def parsing_time() -> float:
    """This thread's CPU time, less what the garbage collector took of it: a collection of the whole heap that
    happens to start during a parse (half a second in a big process) is the process's cost, not the email's."""
    return time.thread_time() - getattr(_collections, "seconds", 0.0)


class OverBudget(RuntimeError):
    """A parse ran past its time budget: the caller keeps the raw text instead."""


class Budget:
    """A deadline on a clock: the parsing thread's CPU time by default, less the collector's (tests pass their own).

    CPU, not wall time: a worker thread waiting for a core on a busy machine (or for the GIL behind
    its sending threads) is not the email's cost, and must not make an ordinary reply keep its
    quoted history; nor must a collection of the whole heap that starts while it is parsed."""

    def __init__(self, seconds: float = PARSE_SECONDS, clock: Callable[[], float] = parsing_time):
        self._clock = clock
        self.deadline = clock() + seconds

    def spent(self) -> bool:
        """Whether the deadline has passed."""
        return self._clock() >= self.deadline

    def check(self) -> None:
        """Raise OverBudget once the deadline has passed."""
        if self.spent():
            raise OverBudget("parse time budget spent")


def unlimited() -> Budget:
    """A budget that never runs out (for callers that bound their input otherwise)."""
    return Budget(float("inf"))
