"""The Celery baseline's runs for dispatch (1) and lateness (2): `celery worker --pool threads`, as many
workers as Drip's and the same total concurrency (DRIP_SEND_CONCURRENCY threads each), Redis broker.
"""

from __future__ import annotations

import time
from datetime import datetime

from bench import seed
from bench.common import Bench
from bench.fleet import ProviderProcess
from bench.procs import Child, tree_cpu_seconds, wait_until
from bench.provider import FROM_NUMBER
from bench.stack import ROOT, VENV_BIN
from fakes.provider_apis import ACCOUNT_SID, AUTH_TOKEN

CONCURRENCY = 64  # Drip's DRIP_SEND_CONCURRENCY default: sending threads per worker
BODY = "Hi Learner, one minute of practice for Feedback that lands: try the model answer today."


def celery_workers(bench: Bench, count: int) -> list[Child]:
    """`count` Celery workers, thread pools of CONCURRENCY, ready to take tasks."""
    env = bench.stack.env(BENCH_CELERY_BROKER=bench.stack.redis_url)
    workers = [
        Child(
            f"celery-{i}-{time.monotonic_ns()}",
            [
                str(VENV_BIN / "celery"),
                "-A",
                "bench.celery_app",
                "worker",
                "--pool",
                "threads",
                "--concurrency",
                str(CONCURRENCY),
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
                "-n",
                f"bench{i}@%h",
                "-Q",
                "bench-celery",
            ],
            env=env,
            cwd=ROOT,
            log_dir=bench.workdir,
        )
        for i in range(count)
    ]

    def ready():
        for worker in workers:
            worker.check()
        return all(" ready." in worker.log_path.read_text(errors="replace") for worker in workers)

    wait_until(ready, timeout=60, interval=0.2, what="Celery workers ready")
    return workers


def run(bench: Bench, count: int, due: list[datetime] | None = None) -> dict:
    """Send `count` messages as Celery tasks (now, or each with `eta`); arrivals and worker CPU."""
    from bench.celery_app import DONE_KEY, app, send_sms

    stack = bench.stack
    app.conf.broker_url = stack.redis_url  # the workers get it from their environment, this process here
    stack.flush_redis()
    provider = ProviderProcess(bench, "provider-celery")
    workers: list[Child] = []
    try:
        workers = celery_workers(bench, bench.sizes.workers)
        cpu_before = sum(tree_cpu_seconds(w.pid) for w in workers)
        for i in range(count):
            args = (provider.url, ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, seed.phone(i), BODY)
            send_sms.apply_async(args, eta=due[i] if due else None)
        spread = (due[-1].timestamp() - time.time()) if due else 0
        deadline = max(120.0, count / 20) + max(spread, 0)
        wait_until(
            lambda: [w.check() for w in workers] and int(stack.redis().get(DONE_KEY) or 0) >= count,
            timeout=deadline,
            interval=0.25,
            what="Celery tasks done",
        )
        cpu = sum(tree_cpu_seconds(w.pid) for w in workers) - cpu_before
    finally:
        for worker in workers:
            worker.stop()
        record = provider.stop()
    return {"record": record, "cpu": cpu, "intact": stack.redis_intact()}
