"""Long bulk operations and Python's cyclic garbage collector.

An import of 10,000 learners keeps tens of thousands of objects alive until it ends, which sets off
full collections; each walked the whole heap of the process (the app, SQLAlchemy's metadata,
phonenumbers' tables: about 190,000 objects), 0.32 s of a 1.3 s import's CPU (bench/README.md).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_inside = 0  # blocks running now, in any thread: the first sets aside, the last gives back
_ours = False  # False when the process had frozen objects of its own (they stay frozen)


@contextmanager
def older_objects_set_aside() -> Iterator[None]:
    """Leave the objects that exist now out of the collections run inside the block (gc.freeze),
    and give them back afterwards: garbage among them is collected later, not lost. A process that
    froze objects itself (before forking workers, say) keeps them frozen: the block then does nothing."""
    global _inside, _ours
    with _lock:
        if _inside == 0:
            _ours = gc.get_freeze_count() == 0
            if _ours:
                gc.freeze()
        _inside += 1
    try:
        yield
    finally:
        with _lock:
            _inside -= 1
            if _inside == 0 and _ours:
                gc.unfreeze()
