"""ReadAhead: items in order, at most `depth` ahead, the producer's error raised in the consumer, nothing left running."""

from __future__ import annotations

import threading

import pytest

from drip.read_ahead import ReadAhead


def _alive() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "read-ahead"]


def test_items_come_in_order_and_the_thread_ends():
    with ReadAhead(iter(range(100)), depth=2) as ahead:
        assert list(ahead) == list(range(100))
    assert not _alive()


def test_the_producer_runs_at_most_depth_items_ahead():
    made: list[int] = []
    two_made = threading.Event()

    def items():
        for i in range(10):
            made.append(i)
            if i == 2:
                two_made.set()
            yield i

    with ReadAhead(items(), depth=1) as ahead:
        iterator = iter(ahead)
        assert next(iterator) == 0
        # Item 1 waits in the queue and item 2, once made, waits to be put: item 3 is not made.
        assert two_made.wait(5)
        assert made == [0, 1, 2]
        assert next(iterator) == 1
    assert not _alive()


def test_an_error_of_the_producer_is_raised_in_the_consumer_after_the_items_before_it():
    def items():
        yield 1
        yield 2
        raise ValueError("row 3 is bad")

    seen = []
    with pytest.raises(ValueError, match="row 3 is bad"):
        with ReadAhead(items()) as ahead:
            for item in ahead:
                seen.append(item)
    assert seen == [1, 2]
    assert not _alive()


def test_a_consumer_leaving_early_stops_the_producer_and_closes_its_generator():
    closed = threading.Event()

    def items():
        try:
            i = 0
            while True:
                yield i
                i += 1
        finally:
            closed.set()

    with pytest.raises(RuntimeError, match="write failed"):
        with ReadAhead(items(), depth=2) as ahead:
            for item in ahead:
                if item == 3:
                    raise RuntimeError("write failed")
    assert closed.wait(5)  # a deadline, not a sleep: it is set before the thread ends
    assert not _alive()
