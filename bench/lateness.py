"""2. Lateness: deliveries due over a 60 s spread; arrival at the provider minus due time.

Drip: deliveries rows with their due times, 2 workers whose dispatchers claim what is due. Baseline:
RQ's own scheduler, `enqueue_at` per message, 2 forking workers `--with-scheduler` (fewer messages:
a forking worker cannot sustain Drip's rate, and a backlog would measure throughput, not timing).
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from rq import Queue

from bench import seed
from bench.common import Bench, Figure, percentile
from bench.dispatch import BASELINE_BODY, _wait, send_sms_path
from bench.fleet import BASELINE_QUEUE, ProviderProcess, drip_workers, rq_workers, wait_registered
from bench.procs import Child
from bench.provider import FROM_NUMBER, twilio_env
from drip.models import utcnow
from fakes.provider_apis import ACCOUNT_SID, AUTH_TOKEN


def schedule(count: int, spread: float, lead: float) -> list[datetime]:
    """`count` due times evenly over `spread` seconds, the first `lead` seconds from now."""
    start = utcnow() + timedelta(seconds=lead)
    return [start + timedelta(seconds=spread * i / max(count - 1, 1)) for i in range(count)]


def lateness(record: dict, due_by_phone: dict[str, datetime]) -> dict:
    """p50/p99/max of arrival − due (seconds), and how many never arrived or arrived twice."""
    late, seen = [], set()
    for message in record["accepted"]:
        due = due_by_phone.get(message["to"])
        if due is not None and message["to"] not in seen:
            seen.add(message["to"])
            late.append(message["at"] - due.timestamp())
    return {
        "p50": percentile(late, 50),
        "p99": percentile(late, 99),
        "max": max(late, default=float("nan")),
        "min": min(late, default=float("nan")),
        "missing": len(due_by_phone) - len(seen),
        "duplicates": len(record["accepted"]) - len(seen),
    }


def drip_run(bench: Bench, count: int) -> dict:
    """One Drip run over the spread."""
    stack, sizes = bench.stack, bench.sizes
    stack.reset()
    with stack.app().app_context():
        who = seed.audience(count)
    provider = ProviderProcess(bench)
    workers: list[Child] = []
    try:
        workers = drip_workers(bench, stack.env(**twilio_env(provider.url)), sizes.workers)
        wait_registered(bench, workers)
        due = schedule(count, sizes.lateness_spread, lead=3.0 + count / 5000)
        with stack.app().app_context():
            seed.deliveries(who, due)
            deadline = time.monotonic() + (due[-1] - utcnow()).total_seconds() + 120
            complete = _wait(bench, workers, seed.outstanding, deadline)
            intact = stack.redis_intact()
    finally:
        for child in workers:
            child.stop()
        record = provider.stop()
    result = lateness(record, {number: when for (_, _, number), when in zip(who.enrollments, due)})
    return {**result, "complete": complete, "redis_intact": intact}


def baseline_run(bench: Bench, count: int) -> dict:
    """One run of RQ's scheduler: one `enqueue_at` per message."""
    stack, sizes = bench.stack, bench.sizes
    stack.flush_redis()
    provider = ProviderProcess(bench, "provider-baseline")
    workers: list[Child] = []
    try:
        workers = rq_workers(bench, stack.env(), sizes.workers, scheduler=True)
        wait_registered(bench, workers)
        queue = Queue(BASELINE_QUEUE, connection=stack.redis())
        due = schedule(count, sizes.lateness_spread, lead=3.0)
        for i, when in enumerate(due):
            queue.enqueue_at(
                when,
                send_sms_path(),
                provider.url,
                ACCOUNT_SID,
                AUTH_TOKEN,
                FROM_NUMBER,
                seed.phone(i),
                BASELINE_BODY,
                result_ttl=3600,
            )
        done = lambda: count - queue.finished_job_registry.count - queue.failed_job_registry.count  # noqa: E731
        complete = _wait(bench, workers, done, time.monotonic() + sizes.lateness_spread + 120)
        intact = stack.redis_intact()
    finally:
        for child in workers:
            child.stop()
        record = provider.stop()
    return {
        **lateness(record, {seed.phone(i): when for i, when in enumerate(due)}),
        "complete": complete,
        "redis_intact": intact,
    }


def celery_run(bench: Bench, count: int) -> dict:
    """One Celery run: one task per message with `eta` at its due time."""
    from bench import celery_runs

    due = schedule(count, bench.sizes.lateness_spread, lead=3.0 + count / 2000)
    done = celery_runs.run(bench, count, due)
    return {
        **lateness(done["record"], {seed.phone(i): when for i, when in enumerate(due)}),
        "redis_intact": done["intact"],
    }


def measure(bench: Bench) -> list[Figure]:
    """Runs Drip and the baselines `runs` times each; returns the rows of section 2."""
    sizes = bench.sizes
    drip, base, celery = [], [], []
    for run in range(sizes.runs):
        bench.say(
            f"lateness: Drip run {run + 1}/{sizes.runs}, {sizes.lateness_messages:,} over {sizes.lateness_spread:.0f} s"
        )
        drip.append(drip_run(bench, sizes.lateness_messages))
        bench.say(f"  -> {drip[-1]}")
        bench.say(f"lateness: baseline run {run + 1}/{sizes.runs}, {sizes.lateness_baseline_messages:,} messages")
        base.append(baseline_run(bench, sizes.lateness_baseline_messages))
        bench.say(f"  -> {base[-1]}")
        if sizes.peers:
            bench.say(f"lateness: Celery run {run + 1}/{sizes.runs}, {sizes.lateness_messages:,} messages, eta tasks")
            celery.append(celery_run(bench, sizes.lateness_messages))
            bench.say(f"  -> {celery[-1]}")
    bench.extras["lateness"] = {"drip": drip, "baseline": base, "celery": celery}
    bad = [r for r in drip if r["missing"] or r["duplicates"] or not r["complete"]]
    note = "; ".join(f"{r['missing']} missing, {r['duplicates']} twice" for r in bad)
    if not all(r["redis_intact"] for r in drip + base + celery):
        note = (note + "; " if note else "") + "Redis DB flushed by another process during a run"
    label = f"(RQ enqueue_at, {sizes.lateness_baseline_messages:,} msgs)"
    size = f"{sizes.lateness_messages:,} msgs over {sizes.lateness_spread:.0f} s"
    peer = f"(Celery eta, {sizes.lateness_messages:,} msgs)"
    missed = sum(r["missing"] + r["duplicates"] for r in celery)
    return [
        Figure(
            "2",
            f"lateness p50, {size}",
            "s",
            [r["p50"] for r in drip],
            [r["p50"] for r in base],
            label,
            second_runs=[r["p50"] for r in celery],
            second_label=peer,
        ),
        Figure(
            "2",
            "lateness p99",
            "s",
            [r["p99"] for r in drip],
            [r["p99"] for r in base],
            label,
            "p99 <= 1 s",
            lambda v, b: v <= 1.0,
            note,
            [r["p99"] for r in celery],
            peer,
        ),
        Figure(
            "2",
            "lateness max",
            "s",
            [r["max"] for r in drip],
            [r["max"] for r in base],
            label,
            note=f"Celery: {missed} missing or twice" if missed else "",
            second_runs=[r["max"] for r in celery],
            second_label=peer,
        ),
    ]
