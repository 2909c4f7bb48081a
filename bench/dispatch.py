"""1. Dispatch throughput: N SMS deliveries due now, 2 worker processes, a 150 ms fake provider.

Drip: `flask --app drip drip worker` x2 (dispatcher claims batches, one job per batch, a thread pool
sends). Baseline: plain RQ, one job per message on RQ's default forking Worker x2. Figures: messages
per second from the first to the last arrival at the provider; worker CPU seconds per 1,000 messages
(the workers and all their children, measured from when they are ready to when the last is sent).
"""

from __future__ import annotations

import time

from rq import Queue

from bench import seed
from bench.celery_runs import CONCURRENCY
from bench.common import Bench, Figure, median
from bench.fleet import BASELINE_QUEUE, ProviderProcess, drip_workers, gunicorn, rq_workers, wait_registered
from bench.procs import Child, RssSampler, tree_cpu_seconds
from bench.provider import FROM_NUMBER, twilio_env
from drip.models import utcnow
from fakes.provider_apis import ACCOUNT_SID, AUTH_TOKEN

BASELINE_BODY = "Hi Learner, one minute of practice for Feedback that lands: try the model answer today."


def _cpu(children: list[Child]) -> float:
    return sum(tree_cpu_seconds(child.pid) for child in children)


def _wait(bench: Bench, children: list[Child], remaining, deadline: float) -> bool:
    """Poll `remaining()` until 0; False if the deadline passes first."""
    while time.monotonic() < deadline:
        for child in children:
            child.check()
        if remaining() == 0:
            return True
        time.sleep(0.25)
    return False


def rate(arrivals: list[float]) -> float:
    """Messages per second from the first arrival to the last."""
    if len(arrivals) < 2:
        return float("nan")
    span = max(arrivals) - min(arrivals)
    return (len(arrivals) - 1) / span if span > 0 else float("nan")


def drip_run(bench: Bench, count: int, *, with_web: bool = True, on_ready=None) -> dict:
    """One Drip run: returns rate, cpu_per_1000, peaks (bytes) and bookkeeping; on_ready(workers) hooks a profiler."""
    stack, sizes = bench.stack, bench.sizes
    stack.reset()
    with stack.app().app_context():
        who = seed.audience(count)
    provider = ProviderProcess(bench)
    started: list[Child] = []
    try:
        env = stack.env(**twilio_env(provider.url))
        roots: dict[str, list[int]] = {}
        if with_web:  # the web process idles beside the workers: (5) samples its memory too
            web, _ = gunicorn(bench, env)
            started.append(web)
            roots["web"] = [web.pid]
        workers = drip_workers(bench, env, sizes.workers)
        started.extend(workers)
        wait_registered(bench, workers)
        roots["worker"] = [w.pid for w in workers]
        if on_ready:
            on_ready(workers)
        cpu_before = _cpu(workers)
        with RssSampler(roots) as rss, stack.app().app_context():
            seed.deliveries(who, [utcnow()] * count)
            complete = _wait(bench, workers, seed.outstanding, time.monotonic() + max(120.0, count / 40))
            cpu = _cpu(workers) - cpu_before
            statuses = seed.status_counts()
            intact = stack.redis_intact()
    finally:
        for child in reversed(started):
            child.stop()
        record = provider.stop()
    arrivals = [m["at"] for m in record["accepted"]]
    return {
        "rate": rate(arrivals),
        "cpu_per_1000": cpu / max(len(arrivals), 1) * 1000,
        "arrived": len(arrivals),
        "distinct": len({m["to"] for m in record["accepted"]}),
        "complete": complete,
        "statuses": statuses,
        "peaks": dict(rss.peaks),
        "provider_cpu": record["cpu_seconds"],
        "redis_intact": intact,
    }


def baseline_run(bench: Bench, count: int) -> dict:
    """One plain-RQ run: `count` jobs, one message each."""
    stack, sizes = bench.stack, bench.sizes
    stack.flush_redis()
    provider = ProviderProcess(bench, "provider-baseline")
    workers: list[Child] = []
    try:
        workers = rq_workers(bench, stack.env(), sizes.workers)
        wait_registered(bench, workers)
        cpu_before = _cpu(workers)
        queue = Queue(BASELINE_QUEUE, connection=stack.redis())
        with RssSampler({"worker": [w.pid for w in workers]}) as rss:
            queue.enqueue_many(
                [
                    Queue.prepare_data(
                        send_sms_path(),
                        args=(provider.url, ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, seed.phone(i), BASELINE_BODY),
                        result_ttl=3600,
                    )
                    for i in range(count)
                ]
            )
            done = lambda: count - queue.finished_job_registry.count - queue.failed_job_registry.count  # noqa: E731
            complete = _wait(bench, workers, done, time.monotonic() + max(120.0, count * 2.0))
            cpu = _cpu(workers) - cpu_before
            failed = queue.failed_job_registry.count
            intact = stack.redis_intact()
    finally:
        for child in workers:
            child.stop()
        record = provider.stop()
    arrivals = [m["at"] for m in record["accepted"]]
    return {
        "rate": rate(arrivals),
        "cpu_per_1000": cpu / max(len(arrivals), 1) * 1000,
        "arrived": len(arrivals),
        "complete": complete,
        "failed": failed,
        "peaks": dict(rss.peaks),
        "provider_cpu": record["cpu_seconds"],
        "redis_intact": intact,
    }


def send_sms_path() -> str:
    """The baseline job, by import path (the workers import it, not this process)."""
    return "bench.baseline_jobs.send_sms"


def celery_run(bench: Bench, count: int) -> dict:
    """One Celery run: `count` tasks due now on thread-pool workers."""
    from bench import celery_runs

    done = celery_runs.run(bench, count)
    arrivals = [m["at"] for m in done["record"]["accepted"]]
    return {
        "rate": rate(arrivals),
        "cpu_per_1000": done["cpu"] / max(len(arrivals), 1) * 1000,
        "arrived": len(arrivals),
        "redis_intact": done["intact"],
    }


def measure(bench: Bench) -> list[Figure]:
    """Runs Drip and the baselines `runs` times each; returns the rows of section 1."""
    sizes = bench.sizes
    drip, base, celery = [], [], []
    for run in range(sizes.runs):
        bench.say(f"dispatch: Drip run {run + 1}/{sizes.runs}, {sizes.dispatch_messages:,} messages")
        drip.append(drip_run(bench, sizes.dispatch_messages))
        bench.say(
            f"  -> {drip[-1]['rate']:.0f} msg/s, {drip[-1]['cpu_per_1000']:.2f} CPU s/1000, "
            f"arrived {drip[-1]['arrived']}, statuses {drip[-1]['statuses']}"
        )
        bench.say(f"dispatch: baseline run {run + 1}/{sizes.runs}, {sizes.dispatch_baseline_messages:,} messages")
        base.append(baseline_run(bench, sizes.dispatch_baseline_messages))
        bench.say(f"  -> {base[-1]['rate']:.1f} msg/s, {base[-1]['cpu_per_1000']:.1f} CPU s/1000")
        if sizes.peers:
            bench.say(f"dispatch: Celery run {run + 1}/{sizes.runs}, {sizes.celery_messages:,} messages")
            celery.append(celery_run(bench, sizes.celery_messages))
            bench.say(f"  -> {celery[-1]['rate']:.1f} msg/s, {celery[-1]['cpu_per_1000']:.2f} CPU s/1000")
    bench.extras["dispatch"] = {"drip": drip, "baseline": base, "celery": celery}
    note = (
        ""
        if all(r["complete"] and r["arrived"] == sizes.dispatch_messages for r in drip)
        else "INCOMPLETE: " + ", ".join(f"{r['arrived']} arrived" for r in drip)
    )
    if not all(r["redis_intact"] for r in drip + base + celery):
        note = (note + "; " if note else "") + "Redis DB flushed by another process during a run"
    label = f"(plain RQ, {sizes.dispatch_baseline_messages:,} msgs)"
    peer = f"(Celery, threads x{sizes.workers}, {sizes.celery_messages:,} msgs)"
    # What the workers could send if nothing but the provider's latency held them back.
    bound = sizes.workers * CONCURRENCY / sizes.provider_latency
    return [
        Figure(
            "1",
            f"dispatch rate, {sizes.dispatch_messages:,} msgs",
            "msg/s",
            [r["rate"] for r in drip],
            [r["rate"] for r in base],
            label,
            f">= {0.8 * bound:,.0f} (80 % of the bound {bound:,.0f}), >= 5x baseline, ahead of Celery",
            lambda v, b: v >= 0.8 * bound and v >= 5 * b and (not celery or v > median([r["rate"] for r in celery])),
            note,
            [r["rate"] for r in celery],
            peer,
        ),
        Figure(
            "1",
            "worker CPU per 1,000 msgs",
            "s",
            [r["cpu_per_1000"] for r in drip],
            [r["cpu_per_1000"] for r in base],
            label,
            "<= 1.2 s",
            lambda v, b: v <= 1.2,
            second_runs=[r["cpu_per_1000"] for r in celery],
            second_label=peer,
            note=f"fake provider, own process: {median([r['provider_cpu'] for r in drip]) / sizes.dispatch_messages * 1000:.2f} s/1000",
        ),
    ]
