"""The dispatcher: exclusive claims (threads and processes), batches as jobs, Redis failures."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import update

from drip.extensions import db
from drip.models import Delivery
from drip.queues import send_queue
from drip.services.delivery import dispatch
from drip.services.delivery.dispatch import claim_due, dispatch_due
from drip.services.programs.enrolment import enrol
from tests.support.engine_factory import deliveries, make_learners, make_sequence, make_session

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)


def due_deliveries(trainer, count: int, offsets=("PT0S",)) -> list[int]:
    """`count` learners × steps, all due by NOW + 2 h."""
    ts = make_session(trainer, [make_sequence(trainer, list(offsets))], NOW + timedelta(hours=1))
    enrol(ts, make_learners(trainer, count), now=NOW)
    return [d.id for d in deliveries(ts.id)]


def test_claims_only_what_is_due_oldest_first_and_marks_it_queued(app, trainer):
    ids = due_deliveries(trainer, 3, offsets=("-PT10M", "PT0S", "P1D"))
    later = NOW + timedelta(hours=1, minutes=1)

    claimed = claim_due(later, 4, job_id="drip-send-test")

    by_id = {d.id: d for d in deliveries()}
    assert len(claimed) == 4 and len(set(claimed)) == 4
    assert all(by_id[i].due_at <= later for i in claimed)
    assert {(by_id[i].status, by_id[i].job_id, by_id[i].queued_at) for i in claimed} == {
        ("queued", "drip-send-test", later)
    }
    earliest = sorted(by_id.values(), key=lambda d: d.due_at)[:3]
    assert {d.id for d in earliest} <= set(claimed)  # the 10-minutes-before steps went first
    assert claim_due(later, 10) == [i for i in ids if by_id[i].due_at <= later and i not in claimed]
    assert claim_due(later, 10) == []


def _claim_in_threads(app, threads: int, limit: int) -> list[list[int]]:
    results: list[list[int]] = [[] for _ in range(threads)]
    errors = []

    def claim(n: int) -> None:
        try:
            with app.app_context():
                while batch := claim_due(NOW + timedelta(days=1), limit):
                    results[n].extend(batch)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    workers = [threading.Thread(target=claim, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not errors
    return results


def test_concurrent_claims_from_threads_never_claim_an_id_twice(app, trainer):
    ids = due_deliveries(trainer, 1500)
    results = _claim_in_threads(app, 8, 25)
    claimed = [i for batch in results for i in batch]
    assert sorted(claimed) == sorted(ids)  # every one claimed, none twice
    assert sum(1 for batch in results if batch) > 1  # the threads really competed


CLAIMER = """
import json, sys
from datetime import datetime, timezone
from drip import create_app
from drip.services.delivery.dispatch import claim_due
app = create_app(json.loads(sys.argv[1]))
claimed = []
with app.app_context():
    print("ready", flush=True)
    sys.stdin.readline()  # every process starts claiming at the same moment
    while batch := claim_due(datetime(2026, 3, 3, tzinfo=timezone.utc), 10):
        claimed.extend(batch)
    from drip.extensions import db
    db.engine.dispose()
print(json.dumps(claimed))
"""


@pytest.mark.slow
def test_concurrent_claims_from_processes_never_claim_an_id_twice(app, trainer, app_config):
    ids = due_deliveries(trainer, 2000)
    config = json.dumps({k: v for k, v in app_config.items() if isinstance(v, (str, bool, int, float))})
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", CLAIMER, config],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outputs = []
    try:
        for process in processes:
            assert process.stdout.readline().strip() == "ready", process.stderr.read()[-2000:]
        for process in processes:
            process.stdin.write("go\n")
            process.stdin.flush()
        for process in processes:
            out, err = process.communicate(timeout=120)
            assert process.returncode == 0, err[-2000:]
            outputs.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.communicate()
    claimed = [i for batch in outputs for i in batch]
    assert sorted(claimed) == sorted(ids)
    assert sum(1 for batch in outputs if batch) > 1


def test_dispatch_enqueues_one_job_per_batch_and_leaves_the_rest_scheduled_when_workers_lag(app, trainer):
    app.config["DISPATCH_BATCH_SIZE"] = 10
    ids = due_deliveries(trainer, 100)
    db.session.execute(update(Delivery).values(due_at=NOW))
    db.session.commit()

    handed = dispatch_due(NOW)

    assert handed == 10 * dispatch.MAX_WAITING_JOBS
    queue = send_queue()
    jobs = [queue.fetch_job(job_id) for job_id in queue.job_ids]
    assert len(jobs) == dispatch.MAX_WAITING_JOBS
    rows = {d.id: d for d in deliveries()}
    for job in jobs:
        batch, claim = job.args
        assert job.id == claim and len(batch) == 10
        assert {(rows[i].status, rows[i].job_id) for i in batch} == {("queued", job.id)}
    assert sum(1 for d in rows.values() if d.status == "scheduled") == len(ids) - handed


def test_when_redis_refuses_the_job_the_batch_stays_queued_for_recovery(app, trainer, monkeypatch):
    import redis

    due_deliveries(trainer, 3)

    def refuse(*args, **kwargs):
        raise redis.ConnectionError("Redis is down")

    monkeypatch.setattr(dispatch, "enqueue_batch", refuse)
    with pytest.raises(redis.ConnectionError):
        dispatch_due(NOW + timedelta(hours=2))
    rows = deliveries()
    assert {d.status for d in rows} == {"queued"} and len({d.job_id for d in rows}) == 1
    assert send_queue().count == 0
