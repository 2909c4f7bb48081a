"""Running an iterator one step ahead of its consumer, in a thread of its own.

An import checks the rows of chunk k+1 (pure Python) while chunk k is written to the database: the
thread waiting for the database releases the GIL, so the checks run in the meantime instead of
before every write.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")
_DONE = object()
_JOIN_SECONDS = 30.0  # the item being made when the consumer left; beyond it the (daemon) thread is left


class _Failed:
    def __init__(self, error: BaseException):
        self.error = error


class ReadAhead(Generic[T]):
    """`with ReadAhead(items, depth) as ahead: for item in ahead: ...` yields the items in order,
    at most `depth` made before they are taken; an exception of the producer is raised in the consumer.

    Leaving the block early (a break, an exception) stops the producer after the item it is making
    and waits for its thread, so nothing of it outlives the block."""

    def __init__(self, items: Iterable[T], depth: int = 1):
        self._items = items
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._produce, name="read-ahead", daemon=True)

    def __enter__(self) -> ReadAhead[T]:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join(timeout=_JOIN_SECONDS)

    def __iter__(self) -> Iterator[T]:
        while True:
            item = self._queue.get()
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item

    def _produce(self) -> None:
        items = iter(self._items)
        try:
            for item in items:
                if not self._put(item):
                    return
        except BaseException as error:  # handed to the consumer, which raises it
            self._put(_Failed(error))
            return
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()
        self._put(_DONE)

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False
