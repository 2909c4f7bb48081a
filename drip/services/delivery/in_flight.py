"""Send batches a worker process goes on with after their RQ job has returned.

A send job used to last until its batch's last delivery was due and sent: a lookahead plus a
provider round trip, with the RQ worker taking no other job meanwhile. The batch claimed by the
next tick waited behind it and its first deliveries went out late (a third of them, in the
lateness benchmark). Now the job hands its batch to a thread of this process and returns, so the
worker takes the next job at once, and the deliveries wait for their due time in the sending
pool's timer.

Recovery must not take such a batch for an orphan once its RQ job is gone. Before the job returns
it names the worker holding the batch under `drip:batch:<job id>`, and recovery counts the batch
as running while that key exists and that worker is alive (recovery.mark_alive). A worker killed
mid-batch stops beating: five seconds later its `queued` deliveries go back to `scheduled`, and
those it had moved to `sending` become `unknown` when their lease ends, as before.
"""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask

from drip.extensions import db, redis_store
from drip.services.delivery.timing import job_timeout

log = logging.getLogger(__name__)
BATCH_PREFIX = "drip:batch:"
IN_FLIGHT = "drip_in_flight"  # app.extensions key: set only in a long-running (non-forking) worker
MAX_BATCHES = 4  # in flight per process; the next send job waits (and the worker with it) for room


def holder_key(job_id: str) -> str:
    """The Redis key naming the worker that holds a batch whose RQ job has returned."""
    return BATCH_PREFIX + job_id


class InFlight:
    """The batches one long-running worker process is sending, each in its own thread."""

    def __init__(self, app: Flask, worker_name: str, limit: int = MAX_BATCHES):
        self.app, self.worker_name = app, worker_name
        self._room = threading.Semaphore(limit)
        self._lock = threading.Lock()
        self._running: set[threading.Thread] = set()

    def hand_over(self, delivery_ids: list[int], job_id: str) -> None:
        """Go on sending the batch in a thread; returns once this worker is named as its holder."""
        self._room.acquire()
        try:
            # The key outlives the batch only if this process dies without deleting it; recovery then
            # sees the worker dead anyway. Its lifetime bounds a batch as the job timeout did.
            redis_store.connection.set(holder_key(job_id), self.worker_name, ex=job_timeout(len(delivery_ids)))
            thread = threading.Thread(
                target=self._send, args=(delivery_ids, job_id), name=f"drip-batch-{job_id[-8:]}", daemon=True
            )
            with self._lock:
                self._running.add(thread)
            thread.start()
        except BaseException:
            self._room.release()
            raise

    def wait(self, timeout: float) -> int:
        """Wait up to `timeout` seconds for the batches in flight to end; returns how many are left."""
        deadline = time.monotonic() + timeout
        with self._lock:
            threads = list(self._running)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        left = sum(thread.is_alive() for thread in threads)
        if left:
            log.warning("%d send batches still running at shutdown: recovery will take them back", left)
        return left

    def _send(self, delivery_ids: list[int], job_id: str) -> None:
        from drip.services.delivery.send import send_claimed

        try:
            with self.app.app_context():
                try:
                    counts = send_claimed(delivery_ids, job_id)
                    log.info("batch %s: %s", job_id, counts)
                finally:
                    db.session.remove()
        except Exception:  # what it left `queued` or `sending` is recovery's, as for a failed job
            log.exception("send batch %s failed", job_id)
        finally:
            try:
                redis_store.connection.delete(holder_key(job_id))
            except Exception:  # Redis away: the key expires; until then recovery waits for this batch
                log.warning("could not release batch %s", job_id, exc_info=True)
            with self._lock:
                self._running.discard(threading.current_thread())
            self._room.release()
