"""Objects set aside during a bulk operation come back to the collector afterwards, garbage included."""

from __future__ import annotations

import gc
import weakref

from drip.heap import older_objects_set_aside


class Node:
    def __init__(self):
        self.other = self  # a cycle: only the cyclic collector frees it


def test_older_objects_wait_out_the_block_and_are_collected_after_it():
    node = Node()
    gone = weakref.ref(node)
    with older_objects_set_aside():
        assert gc.get_freeze_count() > 0
        del node
        gc.collect()
        assert gone() is not None  # set aside: not collected inside the block
        young = weakref.ref(Node())
        gc.collect()
        assert young() is None  # what the block makes is collected as usual
    assert gc.get_freeze_count() == 0
    gc.collect()
    assert gone() is None


def test_blocks_in_two_threads_give_back_once_the_last_ends_and_a_process_freeze_is_kept():
    with older_objects_set_aside():
        with older_objects_set_aside():  # another import, overlapping
            pass
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0
    gc.freeze()  # the process's own, e.g. before forking
    try:
        frozen = gc.get_freeze_count()
        with older_objects_set_aside():
            pass
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
