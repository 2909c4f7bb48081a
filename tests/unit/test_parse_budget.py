"""A parse's time budget counts the parsing thread's own CPU, not a collection of the whole heap that falls into it."""

from __future__ import annotations

import gc
import time

from drip.domain.budget import GRACE, Budget


def test_a_full_collection_during_a_parse_is_not_the_parse_s_cost():
    heap = [{"n": [i]} for i in range(600_000)]  # as many objects as a long-lived process holds
    budget = Budget(0.05)
    began = time.thread_time()
    gc.collect()  # as if the collector had started while the email was being parsed
    collected = time.thread_time() - began
    assert collected > 0.05  # the collection alone is more than the budget, on the thread's own clock
    assert not budget.spent()
    del heap


def test_the_parse_s_own_work_still_spends_the_budget():
    budget = Budget(0.02)
    ends = time.thread_time() + 0.03
    while time.thread_time() < ends:  # CPU the parse itself burns
        pass
    assert budget.spent()


def test_collections_buy_a_parse_a_fresh_budget_only_so_many_times():
    ticks = iter(range(0, 1000))
    budget = Budget(0.5, clock=lambda: next(ticks))  # every reading of this clock is a second later
    for _ in range(GRACE):
        gc.collect()
        assert not budget.spent()  # past the deadline, but a full collection ran since: a fresh budget
    gc.collect()
    assert budget.spent()  # past the grace, even a collection does not hold it back
