"""A work horse forked while another thread of the worker holds the Redis pool's lock still reaches Redis."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
import redis

from drip.worker import hold_redis_pool_across_forks


def _exit_code_within(pid: int, seconds: float) -> int:
    deadline = time.monotonic() + seconds
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail(f"the forked child was still stuck after {seconds} s")
        time.sleep(0.02)


def test_a_child_forked_while_a_thread_holds_the_pools_lock_still_reaches_redis(redis_url):
    client = redis.Redis.from_url(redis_url)
    client.ping()
    pool = client.connection_pool
    hold_redis_pool_across_forks(pool)
    held, let_go = threading.Event(), threading.Event()

    def heartbeat_mid_call():  # as the heartbeat or an applier's wait, inside the pool for a moment
        with pool._lock:
            held.set()
            let_go.wait(5)

    holder = threading.Thread(target=heartbeat_mid_call)
    holder.start()
    assert held.wait(5)
    threading.Timer(0.2, let_go.set).start()  # the holder finishes its call while the fork waits for it
    pid = os.fork()
    if pid == 0:  # the work horse: its first Redis call resets the pool it inherited
        try:
            client.ping()
        except BaseException:
            os._exit(1)
        os._exit(0)
    holder.join(5)
    assert _exit_code_within(pid, 10) == 0
    client.ping()  # and the worker's own pool still works
    client.close()
