"""A fleet on separate hosts: three worker hosts, one services host, one provider host, 5,000 messages.

Each host is a network namespace with one veth link to a bridge (tests/support/hosts.py). The
services host runs its own PostgreSQL cluster and Redis, reachable only over its link; each worker
host runs `flask drip worker`; the fake provider (the real twilio library talks HTTP to it) has its
own host. Mid-campaign one worker host is cut off for 30 s, PostgreSQL restarts, and one worker
host's clock runs 30 s ahead all along (faketime). Every message must reach the provider exactly
once, none before it is due, and `unknown` only for messages in flight on the cut host.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from rq import Worker
from sqlalchemy import select

from bench import seed
from bench.provider import twilio_env
from drip import create_app
from drip.database import database_now
from drip.extensions import db
from drip.models import Delivery
from tests.support import fleet_services, hosts

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
MESSAGES = int(os.environ.get("DRIP_FLEET_MESSAGES", "5000"))
SPREAD = 45.0  # seconds over which the messages fall due
CUT_AT, CUT_FOR = 8.0, 30.0  # seconds after the first is due
RESTART_AT = CUT_AT + CUT_FOR + 4.0
AHEAD = 30  # seconds the third worker host's clock runs ahead
SETTLE = 120.0
IN_FLIGHT = {"scheduled", "queued", "sending"}


def _skip_reason() -> str | None:
    return (
        hosts.available()
        or fleet_services.missing()
        or (None if shutil.which("faketime") else "faketime is not installed (apt-get install faketime)")
    )


def _worker_env(pg_url: str, redis_url: str, provider_url: str, instance: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TWILIO_", "SENDGRID_", "DRIP_")) and k not in ("DATABASE_URL", "REDIS_URL")
    }
    env.update(twilio_env(provider_url))
    env.update(
        {
            "DATABASE_URL": pg_url,
            "REDIS_URL": redis_url,
            "DRIP_INSTANCE_PATH": str(instance),
            "SECRET_KEY": "fleet-secret",
            "PUBLIC_BASE_URL": "http://127.0.0.1:5000",
            "PYTHONUNBUFFERED": "1",
            "DRIP_EMAIL_PROVIDER": "outbox",
            "DRIP_SMS_RATE": "0",
            "DRIP_DISPATCH_INTERVAL": "0.2",
            "DRIP_RECOVERY_INTERVAL": "1",
            "DRIP_SENDING_LEASE_SECONDS": "90",
        }
    )
    return env


def _provider_url(network: hosts.Network, name: str) -> str | None:
    log = network.folder / f"{name}-provider.log"
    lines = log.read_text().split() if log.exists() else []
    return next((word for word in lines if word.startswith("http://")), None)


def _jobs_run_by(network: hosts.Network, host: hosts.Host) -> set[str]:
    """Ids of every send job the host's worker started, from its log ("drip: send N deliveries (id)")."""
    log = (network.folder / f"{host.name}-worker.log").read_text(errors="replace")
    return set(re.findall(r"drip: send \d+ deliveries \((drip-send-[0-9a-f]+)\)", log))


def _settled(app) -> Counter | None:
    try:
        with app.app_context():
            counts = Counter(
                dict(db.session.execute(select(Delivery.status, db.func.count()).group_by(Delivery.status)).all())
            )
            db.session.remove()
    except Exception:  # PostgreSQL restarting: ask again
        return None
    return counts if sum(counts.values()) == MESSAGES and not counts.keys() & IN_FLIGHT else None


def test_a_fleet_on_separate_hosts_sends_each_message_once_and_never_early(tmp_path):
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    with hosts.Network() as network:
        services, provider_host = network.host("services"), network.host("provider")
        workers = [network.host(f"worker{i}") for i in (1, 2, 3)]
        pg, app = fleet_services.PostgresOnHost(services), None
        try:
            pg.start()
            pg.create_database()
            redis_url = fleet_services.start_redis(services)
            app = create_app(
                {
                    "SQLALCHEMY_DATABASE_URI": pg.url.replace("postgresql://", "postgresql+psycopg://"),
                    "REDIS_URL": redis_url,
                    "INSTANCE_PATH": str(tmp_path),
                    "SECRET_KEY": "fleet-secret",
                    "SMS_PROVIDER": "outbox",
                    "EMAIL_PROVIDER": "outbox",
                }
            )
            with app.app_context():
                from flask_migrate import upgrade

                upgrade(directory=str(ROOT / "migrations"))
            _campaign(network, pg, app, redis_url, provider_host, workers, tmp_path)
        finally:
            if app is not None:
                with app.app_context():
                    db.session.remove()
                    db.engine.dispose()  # before the server goes: no connection is left to the collector
            pg.close()


def _campaign(network, pg, app, redis_url, provider_host, workers, tmp_path) -> None:
    dump = tmp_path / "arrivals.json"
    provider = provider_host.start(
        [sys.executable, "-m", "bench.provider", "--host", provider_host.ip, "--latency", "0.1", "--dump", str(dump)],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        cwd=ROOT,
        log="provider",
    )
    url = hosts.wait_until(lambda: _provider_url(network, "provider"), 20, "the fake provider's URL", network)
    env = _worker_env(pg.url, redis_url, url, tmp_path)
    argv = [sys.executable, "-m", "flask", "--app", "drip", "drip", "worker"]
    for host in workers[:2]:
        host.start(argv, env=env, cwd=ROOT, log="worker")
    workers[2].start(["faketime", "-f", f"+{AHEAD}s", *argv], env=env, cwd=ROOT, log="worker")
    connection = redis.Redis.from_url(redis_url)
    try:
        _run(network, pg, app, connection, provider_host, provider, workers, dump)
    finally:
        connection.close()


def _run(network, pg, app, connection, provider_host, provider, workers, dump) -> None:
    cut = workers[0]
    hosts.wait_until(lambda: Worker.count(connection=connection) >= 3, 60, "three workers registered", network)

    with app.app_context():
        who = seed.audience(MESSAGES)
        first_due = database_now() + timedelta(seconds=3)
        seed.deliveries(who, [first_due + timedelta(seconds=SPREAD * i / MESSAGES) for i in range(MESSAGES)])
        # On the monotonic clock of this process: when the first message falls due.
        t0 = time.monotonic() + (first_due - database_now()).total_seconds()
        db.session.remove()

    events = []
    _at(t0 + CUT_AT)
    cut.cut()
    events.append(f"{CUT_AT:.0f} s: {cut.name} cut off")
    _at(t0 + CUT_AT + CUT_FOR)
    cut.restore()
    events.append(f"{CUT_AT + CUT_FOR:.0f} s: {cut.name} back")
    _at(t0 + RESTART_AT)
    restart_started = time.monotonic()
    pg.restart()
    events.append(f"{RESTART_AT:.0f} s: PostgreSQL restarted ({time.monotonic() - restart_started:.1f} s down)")

    counts = hosts.wait_until(lambda: _settled(app), SETTLE, "every delivery settled", network, interval=0.5)
    finished = time.monotonic() - t0
    for host in workers:
        host.stop_all()
    provider_host.stop(provider)
    arrivals = json.loads(dump.read_text())["accepted"]
    _check(app, arrivals, counts, cut, _jobs_run_by(network, cut), workers, events, finished)


def _at(moment: float) -> None:
    time.sleep(max(0.0, moment - time.monotonic()))


def _check(app, arrivals, counts, cut, cut_jobs, workers, events, finished) -> None:
    with app.app_context():
        rows = {d.id: d for d in db.session.scalars(select(Delivery))}
        db.session.remove()
    times = Counter(a["delivery_id"] for a in arrivals)
    twice = sorted(i for i, n in times.items() if n > 1)
    early = [
        (a["delivery_id"], rows[a["delivery_id"]].due_at.timestamp() - a["at"])
        for a in arrivals
        if a["at"] < rows[a["delivery_id"]].due_at.timestamp()
    ]
    unknown = {i for i, d in rows.items() if d.status == "unknown"}
    # A request in flight when the link went down may have reached the provider: such a delivery is
    # `unknown` (lease) or `failed` (the send gave up), never sent again, and only on the cut host.
    doubtful = {i for i, d in rows.items() if d.status in ("unknown", "failed")}
    lost = sorted(i for i, d in rows.items() if i not in times and i not in doubtful)
    lateness = sorted(a["at"] - rows[a["delivery_id"]].due_at.timestamp() for a in arrivals)
    by_host = Counter(a["peer"] for a in arrivals)
    print(
        f"\nfleet: {MESSAGES} messages due over {SPREAD:.0f} s, 3 worker hosts "
        f"({workers[2].name} {AHEAD} s ahead), settled {finished:.0f} s after the first was due"
    )
    for line in events:
        print("  " + line)
    print(f"  statuses: {dict(counts)}")
    print("  accepted per host: " + ", ".join(f"{h.name} {by_host.get(h.ip, 0)}" for h in workers))
    print(
        f"  accepted {len(arrivals)}, twice {len(twice)}, early {len(early)}, lost {len(lost)}, "
        f"unknown {len(unknown)}, failed {len(doubtful - unknown)} (of these accepted {len(doubtful & set(times))})"
    )
    slow = Counter(a["peer"] for a in arrivals if a["at"] - rows[a["delivery_id"]].due_at.timestamp() > 5)
    print("  more than 5 s late, per host: " + ", ".join(f"{h.name} {slow.get(h.ip, 0)}" for h in workers))
    if lateness:
        print(
            f"  lateness: median {lateness[len(lateness) // 2]:.2f} s, p99 {lateness[int(len(lateness) * 0.99)]:.2f} s, "
            f"max {lateness[-1]:.2f} s"
        )
    assert twice == [], f"accepted more than once: {twice[:10]}"
    assert early == [], f"accepted before due (id, seconds early): {early[:10]}"
    assert lost == [], f"never accepted and not unknown: {lost[:10]} ({[rows[i].status for i in lost[:10]]})"
    assert set(counts) <= {"sent", "unknown", "failed"}, counts
    assert cut_jobs, f"no send job found in {cut.name}'s log"
    strays = sorted((i, rows[i].status, rows[i].error_message) for i in doubtful if rows[i].job_id not in cut_jobs)
    assert strays == [], f"unknown or failed but not in flight on {cut.name}: {strays[:10]}"
