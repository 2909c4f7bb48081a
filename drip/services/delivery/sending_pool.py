"""A worker process's sending threads, and the one timer that hands each delivery to them when it is due.

The dispatcher claims a tick ahead (dispatch.lookahead), so most deliveries reach the worker before
their due time. They wait here, in a heap ordered by release time, not in a thread each: a thread
asleep on a delivery due in 900 ms is a thread the batch behind it lacks, and a delivery that
finds every thread asleep goes out late. At its time the timer submits each one to the threads.
"""

from __future__ import annotations

import heapq
import itertools
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor


class SendingPool:
    """`size` sending threads fed by one timer thread."""

    def __init__(self, size: int):
        self.size = size
        self._threads = ThreadPoolExecutor(size, thread_name_prefix="drip-send")
        self._waiting: list[tuple[float, int, Future, Callable[[], object]]] = []
        self._order = itertools.count()  # ties in release time keep their order of arrival
        self._changed = threading.Condition()
        self._closed = False
        self._timer = threading.Thread(target=self._release, name="drip-send-timer", daemon=True)
        self._timer.start()

    def at(self, delay: float, work: Callable[[], object]) -> Future:
        """Run `work` in a sending thread `delay` seconds from now (at once when delay <= 0)."""
        handle: Future = Future()
        with self._changed:
            if self._closed:
                raise RuntimeError("the sending pool is retired")
            if delay <= 0:
                return self._threads.submit(work)
            heapq.heappush(self._waiting, (time.monotonic() + delay, next(self._order), handle, work))
            self._changed.notify()
        return handle

    def retire(self) -> None:
        """Take no more work; what waits still goes out at its time, then the threads end."""
        with self._changed:
            self._closed = True
            self._changed.notify()

    def _release(self) -> None:
        while True:
            with self._changed:
                while not self._waiting or self._waiting[0][0] > time.monotonic():
                    if self._closed and not self._waiting:
                        self._threads.shutdown(wait=False)
                        return
                    self._changed.wait(self._waiting[0][0] - time.monotonic() if self._waiting else None)
                _, _, handle, work = heapq.heappop(self._waiting)
            if handle.set_running_or_notify_cancel():  # False: cancelled while it waited
                self._threads.submit(_run, handle, work)


def _run(handle: Future, work: Callable[[], object]) -> None:
    try:
        result = work()
    except BaseException as error:
        handle.set_exception(error)
    else:
        handle.set_result(result)


_lock = threading.Lock()
_pool: tuple[int, SendingPool] | None = None  # (pid, pool): a forked process starts its own


def sending_pool(size: int) -> SendingPool:
    """The process's sending pool, kept between batches (starting 64 threads per batch costs)."""
    global _pool
    with _lock:
        if _pool is None or _pool[0] != os.getpid() or _pool[1].size != size:
            if _pool is not None and _pool[0] == os.getpid():
                _pool[1].retire()  # resized: the old pool finishes what it holds, then ends
            _pool = (os.getpid(), SendingPool(size))
        return _pool[1]
