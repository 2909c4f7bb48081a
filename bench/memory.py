"""5. Memory: peak RSS of the web and worker processes during (1); Redis with 100,000 deliveries scheduled.

RSS peaks come from the dispatch runs (the largest of the two worker process trees, work horses
included; gunicorn master + workers for the web). Redis: the bytes held by the keys of the bench's
Redis database (MEMORY USAGE of each key; the server's used_memory is shared with other databases)
with workers running and nothing scheduled, then with N x 10 deliveries scheduled 30 days ahead.
Baseline: RQ's scheduler holding `enqueue_at` jobs (fewer, extrapolated to the same count).
"""

from __future__ import annotations

import time
from datetime import timedelta

from rq import Queue

from bench.common import Bench, Figure, median
from bench.dispatch import BASELINE_BODY, drip_run, send_sms_path
from bench.fleet import BASELINE_QUEUE, drip_workers, rq_workers, wait_registered
from bench.procs import Child
from bench.provider import FROM_NUMBER
from drip.models import utcnow
from fakes.provider_apis import ACCOUNT_SID, AUTH_TOKEN

MB = 1024 * 1024


def redis_bytes(client) -> int:
    """Bytes used by every key of this Redis database (MEMORY USAGE, summed)."""
    total, keys = 0, list(client.scan_iter(count=1000))
    for start in range(0, len(keys), 1000):
        pipe = client.pipeline(transaction=False)
        for key in keys[start : start + 1000]:
            pipe.memory_usage(key, samples=0)
        total += sum(size or 0 for size in pipe.execute())
    return total


def _settled(bench: Bench, seconds: float = 1.5) -> tuple[int, int]:
    """(bytes of this database's keys, the server's used_memory), a few dispatcher ticks from now."""
    time.sleep(seconds)  # three dispatcher ticks (0.5 s each): whatever they would put in Redis is there
    client = bench.stack.redis()
    return redis_bytes(client), int(client.info("memory")["used_memory"])


def drip_redis(bench: Bench) -> dict:
    """Redis bytes with workers idle, then with the scheduled deliveries in the database."""
    from bench.enrolment import csv_text, ten_step_session
    from drip.services.learners.imports import keep_upload, run_import

    stack, sizes = bench.stack, bench.sizes
    stack.reset()
    workers: list[Child] = []
    try:
        workers = drip_workers(bench, stack.env(), sizes.workers)
        wait_registered(bench, workers)
        empty = _settled(bench)
        with stack.app().app_context():
            owner, ts = ten_step_session(sizes.enrol_steps)
            result = run_import(
                owner,
                keep_upload(owner, csv_text(sizes.memory_learners), session_id=ts.id),
                default_region="US",
                training_session=ts,
            )
            assert result.ok, result.preview.errors[:3]
        full = _settled(bench)
        for child in workers:
            child.check()
    finally:
        for child in workers:
            child.stop()
    stack.reset()
    return {
        "empty": empty[0],
        "scheduled": full[0],
        "growth": full[0] - empty[0],
        "used_memory_growth": full[1] - empty[1],
    }


def baseline_redis(bench: Bench, jobs: int) -> dict:
    """Redis bytes of RQ's scheduler holding `jobs` enqueue_at jobs due in 30 days."""
    stack, sizes = bench.stack, bench.sizes
    stack.flush_redis()
    workers: list[Child] = []
    try:
        workers = rq_workers(bench, stack.env(), sizes.workers, scheduler=True)
        wait_registered(bench, workers)
        empty = _settled(bench)
        queue, when = Queue(BASELINE_QUEUE, connection=stack.redis()), utcnow() + timedelta(days=30)
        for i in range(jobs):
            queue.enqueue_at(
                when,
                send_sms_path(),
                "http://127.0.0.1:9",
                ACCOUNT_SID,
                AUTH_TOKEN,
                FROM_NUMBER,
                f"+1415{2000000 + i:07d}",
                BASELINE_BODY,
            )
        full = _settled(bench)
    finally:
        for child in workers:
            child.stop()
    stack.flush_redis()
    return {
        "empty": empty[0],
        "scheduled": full[0],
        "growth": full[0] - empty[0],
        "used_memory_growth": full[1] - empty[1],
    }


def measure(bench: Bench) -> list[Figure]:
    """RSS rows from the dispatch runs (one run here if dispatch was skipped) and the Redis rows."""
    sizes = bench.sizes
    dispatch = bench.extras.get("dispatch")
    if dispatch is None:
        bench.say("memory: one dispatch run for the RSS peaks")
        dispatch = {"drip": [drip_run(bench, sizes.dispatch_messages)], "baseline": []}
    scheduled = sizes.memory_learners * sizes.enrol_steps
    drip, base = [], []
    for run in range(sizes.runs):
        bench.say(f"memory: Redis with {scheduled:,} deliveries scheduled, run {run + 1}/{sizes.runs}")
        drip.append(drip_redis(bench))
        base.append(baseline_redis(bench, sizes.memory_baseline_jobs))
        bench.say(f"  -> Drip {drip[-1]}, RQ scheduler {base[-1]}")
    bench.extras["memory"] = {"drip": drip, "baseline": base}
    factor = scheduled / sizes.memory_baseline_jobs
    trivial = [r["peak_rss"] / MB for r in bench.extras.get("ingest", {}).get("sms/trivial", []) if "peak_rss" in r]
    web_under_load = [r["peak_rss"] / MB for r in bench.extras.get("ingest", {}).get("sms/drip", []) if "peak_rss" in r]
    return [
        Figure(
            "5",
            "worker peak RSS during (1), largest worker incl. children",
            "MB",
            [r["peaks"]["worker"] / MB for r in dispatch["drip"]],
            [r["peaks"]["worker"] / MB for r in dispatch["baseline"]],
            "(plain RQ worker)",
        ),
        Figure(
            "5",
            "web peak RSS during (1), gunicorn master + workers",
            "MB",
            [r["peaks"].get("web", 0) / MB for r in dispatch["drip"]],
            trivial,
            "(trivial Flask under load, (4))",
            note=f"under ingest load (4): {median(web_under_load):.0f} MB" if web_under_load else "",
        ),
        Figure(
            "5",
            f"Redis growth, {scheduled:,} deliveries scheduled vs none",
            "MB",
            [r["growth"] / MB for r in drip],
            [r["growth"] * factor / MB for r in base],
            f"(RQ enqueue_at, {sizes.memory_baseline_jobs:,} jobs x{factor:g})",
            "flat (< 1 MB)",
            lambda v, b: v < 1.0,
            note=f"idle workers' keys: {median([r['empty'] for r in drip]) / 1024:.0f} KB; server used_memory "
            f"growth (shared, noisy): Drip {median([r['used_memory_growth'] for r in drip]) / MB:.2f} MB, "
            f"RQ {median([r['used_memory_growth'] for r in base]) * factor / MB:.0f} MB",
        ),
    ]
