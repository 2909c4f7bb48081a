"""A worker process's sending threads, and the one timer that hands each delivery to them when it is due.

The dispatcher claims a tick ahead (dispatch.lookahead), so most deliveries reach the worker before
their due time. They wait here, in a heap ordered by release time, not in a thread each: a thread
asleep on a delivery due in 900 ms is a thread the batch behind it lacks, and a delivery that
finds every thread asleep goes out late. At its time the timer hands each one to the threads.

A batch is handed over whole and followed as a whole (`Batch`: how many are left, the first error,
a stop for the rest): no future per delivery and no waiter on each of them, which together were a
tenth of a sending worker's CPU in the dispatch benchmark.
"""

from __future__ import annotations

import heapq
import itertools
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable

_STOP = None  # put once per sending thread when a retired pool has nothing left


class Batch:
    """The work of one batch in the pool: done when every piece has run (or been passed over after stop())."""

    def __init__(self, count: int):
        self._left = count
        self._lock = threading.Lock()
        self._done = threading.Event()
        self.error: BaseException | None = None
        self.stopped = False
        if count == 0:
            self._done.set()

    def wait(self, timeout: float | None = None) -> bool:
        """True once all is done; raises the first error a piece raised (the others still run)."""
        done = self._done.wait(timeout)
        if self.error is not None:
            raise self.error
        return done

    def stop(self) -> None:
        """What has not started yet never will: it is passed over (left for recovery), not run."""
        self.stopped = True

    def _run(self, work: Callable[[], object]) -> None:
        try:
            if not self.stopped:
                work()
        except BaseException as error:  # reaches wait(); the pool's thread goes on
            with self._lock:
                self.error = self.error or error
        finally:
            with self._lock:
                self._left -= 1
                if self._left == 0:
                    self._done.set()


class SendingPool:
    """`size` sending threads fed by one timer thread."""

    def __init__(self, size: int):
        self.size = size
        self._ready: queue.SimpleQueue = queue.SimpleQueue()  # (batch, work) due now, in order
        self._waiting: list[tuple[float, int, Batch, Callable[[], object]]] = []
        self._order = itertools.count()  # ties in release time keep their order of arrival
        self._changed = threading.Condition()
        self._closed = False
        self._threads = [threading.Thread(target=self._send, name=f"drip-send_{n}", daemon=True) for n in range(size)]
        self._threads.append(threading.Thread(target=self._release, name="drip-send-timer", daemon=True))
        for thread in self._threads:
            thread.start()

    def batch(self, work: Iterable[tuple[float, Callable[[], object]]]) -> Batch:
        """Run each (delay, work) in a sending thread `delay` seconds from now (at once when delay <= 0)."""
        work = list(work)
        batch = Batch(len(work))
        with self._changed:
            if self._closed:
                raise RuntimeError("the sending pool is retired")
            now = time.monotonic()
            for delay, piece in work:
                if delay <= 0:
                    self._ready.put((batch, piece))
                else:
                    heapq.heappush(self._waiting, (now + delay, next(self._order), batch, piece))
            self._changed.notify()
        return batch

    def at(self, delay: float, work: Callable[[], object]) -> Batch:
        """One piece of work on its own, `delay` seconds from now."""
        return self.batch([(delay, work)])

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
                        for _ in range(self.size):
                            self._ready.put(_STOP)
                        return
                    self._changed.wait(self._waiting[0][0] - time.monotonic() if self._waiting else None)
                now, due = time.monotonic(), []
                while self._waiting and self._waiting[0][0] <= now:
                    due.append(heapq.heappop(self._waiting))
            for _, _, batch, work in due:
                self._ready.put((batch, work))

    def _send(self) -> None:
        while (taken := self._ready.get()) is not _STOP:
            batch, work = taken
            batch._run(work)


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
