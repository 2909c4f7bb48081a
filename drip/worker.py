"""The worker process: an RQ worker with the scheduler on, the dispatcher and recovery loops, and the
threads that apply stored webhooks (drip.appliers).

Any number of workers may run at once, on any number of machines: each one dispatches (claims
are exclusive in the database), each one recovers (recovery is idempotent), all send.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
import time
import weakref

from flask import Flask, current_app
from rq import SimpleWorker, Worker
from sqlalchemy.orm import configure_mappers

from drip.extensions import db, redis_store
from drip.queues import SEND_QUEUE

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 1.0
SHUTDOWN_GRACE_SECONDS = 30.0  # a stopping worker finishes the batches it holds for this long


class Dispatcher:
    """Daemon threads in the worker process: a liveness heartbeat, and dispatch + recovery ticks."""

    def __init__(self, app: Flask, worker_name: str):
        self.app = app
        self.worker_name = worker_name
        self._stop = threading.Event()  # the dispatch and recovery ticks
        self._stop_beating = threading.Event()  # the heartbeat, which outlives them at shutdown
        self._threads: list[threading.Thread] = []
        # Held for each tick. A forking worker takes it before it forks a work horse, so the horse
        # never inherits a lock (SQLAlchemy's, the pool's) that this thread held mid-tick.
        self.fork_guard = threading.Lock()

    def start(self) -> None:
        """Start beating and dispatching."""
        for target, name in ((self._beat, "drip-heartbeat"), (self._dispatch, "drip-dispatcher")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop_dispatching(self) -> None:
        """Claim no more; the heartbeat goes on, so batches still being sent stay this worker's."""
        self._stop.set()

    def stop(self) -> None:
        """Stop both loops and wait briefly for them."""
        self._stop.set()
        self._stop_beating.set()
        for thread in self._threads:
            thread.join(timeout=5)

    def _beat(self) -> None:
        from drip.services.delivery.recovery import mark_alive

        # Its own thread, so a slow database never makes a live worker look dead.
        while not self._stop_beating.is_set():
            try:
                mark_alive(self.worker_name)
            except Exception:  # Redis away for a moment: keep trying
                log.warning("worker heartbeat failed", exc_info=True)
            self._stop_beating.wait(HEARTBEAT_SECONDS)

    def _dispatch(self) -> None:
        from drip.services.delivery.dispatch import dispatch_due
        from drip.services.delivery.recovery import recover

        with self.app.app_context():
            interval = float(self.app.config["DISPATCH_INTERVAL_SECONDS"])
            every = float(self.app.config.get("RECOVERY_INTERVAL_SECONDS", 5))
            next_recovery = 0.0
            while not self._stop.is_set():
                started = time.monotonic()
                with self.fork_guard:
                    try:
                        if started >= next_recovery:
                            next_recovery = started + every
                            recovered = recover()
                            if recovered.unknown or recovered.rescheduled:
                                log.warning("recovery: %s", recovered)
                        dispatch_due()
                    except Exception:  # Redis or the database away: the next tick tries again
                        log.exception("dispatch tick failed")
                        db.session.rollback()
                    finally:
                        db.session.remove()
                self._stop.wait(max(0.0, interval - (time.monotonic() - started)))


class ForkingWorker(Worker):
    """RQ's forking worker, forking only between dispatcher ticks."""

    fork_guard: threading.Lock

    def fork_work_horse(self, job, queue) -> None:
        """Fork the work horse while the dispatcher thread holds no lock."""
        with self.fork_guard:
            super().fork_work_horse(job, queue)


_pools_held_across_forks: weakref.WeakSet = weakref.WeakSet()


def hold_redis_pool_across_forks(pool) -> None:
    """Take the Redis pool's lock before every fork of this process and give it back on both sides.

    A forked child (a work horse, RQ's scheduler) first resets the pool it inherited, and redis-py
    does that under the pool's own lock. The heartbeat and the appliers' waits use the pool outside
    the fork guard, so a fork could catch one of them holding that lock: the child would wait for it
    forever (a horse stuck before its first delivery, seen in the fork worker's test 1 run in 7).
    Held across the fork, the lock is free in the child. No-op for a pool without that lock."""
    lock = getattr(pool, "_lock", None)
    if lock is None or pool in _pools_held_across_forks:
        return
    _pools_held_across_forks.add(pool)
    os.register_at_fork(before=lock.acquire, after_in_parent=lock.release, after_in_child=lock.release)


def worker_class(app: Flask) -> type[Worker] | type[SimpleWorker]:
    """simple (default): jobs run in this process, sends in threads; fork: RQ's work horse per job.

    Measured (2 workers, 150 ms provider latency, PostgreSQL): simple ≈ 430 msg/s at 1.7 CPU s per
    1,000 messages, fork ≈ 250 msg/s at 2.5 CPU s (each horse reconnects and rebuilds its clients).
    """
    return ForkingWorker if app.config.get("WORKER_CLASS") == "fork" else SimpleWorker


def run_worker(*, burst: bool = False) -> None:
    """Work the send queue until stopped, dispatching and recovering meanwhile."""
    from drip.channels.registry import close_channels, warm_channels
    from drip.database import own_pool
    from drip.services.delivery.dispatch import dispatch_due
    from drip.services.delivery.recovery import mark_dead, recover

    from drip.appliers import Appliers
    from drip.services.delivery.in_flight import IN_FLIGHT, InFlight

    app = current_app._get_current_object()
    worker = worker_class(app)([SEND_QUEUE], connection=redis_store.connection)
    dispatcher = Dispatcher(app, worker.name)
    in_flight = None
    if not burst and worker_class(app) is SimpleWorker:  # a forked horse ends with its job; burst runs wait
        in_flight = app.extensions[IN_FLIGHT] = InFlight(app, worker.name)
    worker.fork_guard = dispatcher.fork_guard
    hold_redis_pool_across_forks(redis_store.connection.connection_pool)
    appliers = Appliers(app, dispatcher.fork_guard if issubclass(worker_class(app), ForkingWorker) else None)
    configure_mappers()  # now, before any thread: configuring later takes a lock a fork could inherit
    # The app as loaded (modules, mappers, templates: ~160,000 objects) lives as long as the process:
    # frozen, the collector no longer walks it on every full collection (0.16 s each on this machine,
    # a quarter of a sending worker's CPU in the dispatch benchmark's profile).
    warm_channels(app)  # the provider clients too, before the first batch and before freezing
    gc.collect()
    gc.freeze()
    try:
        with app.app_context():
            own_pool(db.engine)  # this process opened the pool: horses forked from it drop theirs
            if burst:  # tests and one-shot runs: hand over what is due now, send it, stop
                recover()
                appliers.drain()
                dispatch_due()
            else:
                dispatcher.start()
                appliers.start()
            worker.work(with_scheduler=True, burst=burst)
    finally:
        dispatcher.stop_dispatching()
        if in_flight is not None:
            in_flight.wait(SHUTDOWN_GRACE_SECONDS)  # while the heartbeat still says these batches are ours
            app.extensions.pop(IN_FLIGHT, None)
        appliers.stop()
        dispatcher.stop()
        try:
            mark_dead(worker.name)
        except Exception:
            log.warning("could not mark worker %s stopped", worker.name, exc_info=True)
        close_channels(app)
