"""Real `flask drip worker` processes for the engine tests: start, wait for, stop, always with deadlines."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from drip.extensions import db, redis_store
from drip.models import Delivery
from fakes.provider_apis import ACCOUNT_SID, AUTH_TOKEN

ROOT = Path(__file__).resolve().parents[2]
IN_FLIGHT = {"scheduled", "queued", "sending"}


def worker_env(app_config: dict, **settings: str) -> dict[str, str]:
    """The environment of a worker sharing the test's database and Redis; settings are DRIP_* overrides."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "SENDGRID_", "DRIP_"))}
    env.update(
        {
            "DATABASE_URL": app_config["SQLALCHEMY_DATABASE_URI"],
            "REDIS_URL": app_config["REDIS_URL"],
            "DRIP_INSTANCE_PATH": app_config["INSTANCE_PATH"],
            "SECRET_KEY": app_config["SECRET_KEY"],
            "PUBLIC_BASE_URL": app_config["PUBLIC_BASE_URL"],
            "PYTHONUNBUFFERED": "1",
            "DRIP_SMS_PROVIDER": "outbox",
            "DRIP_EMAIL_PROVIDER": "outbox",
            "DRIP_SMS_RATE": "0",
            "DRIP_DISPATCH_INTERVAL": "0.2",
            "DRIP_RECOVERY_INTERVAL": "1",
        }
    )
    env.update(
        {
            key if key.startswith(("TWILIO_", "PUBLIC_")) else f"DRIP_{key}": str(value)
            for key, value in settings.items()
        }
    )
    return env


def twilio_settings(fake_url: str) -> dict[str, str]:
    """Settings sending SMS through the real twilio library to the fake provider."""
    return {
        "SMS_PROVIDER": "twilio",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": "+15005550001",
        "TWILIO_API_BASE": fake_url,
    }


class Workers:
    """Worker processes logging to files; stopped (or killed) on exit whatever happens."""

    def __init__(self, env: dict[str, str], folder: Path):
        self.env, self.folder, self.processes = env, folder, []

    def start(self, count: int = 1, **settings: str) -> list[subprocess.Popen]:
        """Start `count` more workers and wait until each one beats."""
        env = {**self.env, **{f"DRIP_{k}": str(v) for k, v in settings.items()}}
        started = []
        for _ in range(count):
            log = (self.folder / f"worker-{len(self.processes)}.log").open("wb")
            process = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "drip", "drip", "worker"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            log.close()
            self.processes.append(process)
            started.append(process)
        wait_for(lambda: self.alive() >= len([p for p in self.processes if p.poll() is None]), 60, self)
        return started

    def alive(self) -> int:
        """Workers whose heartbeat is in Redis."""
        return sum(1 for _ in redis_store.connection.scan_iter("drip:worker-alive:*"))

    def logs(self) -> str:
        """The end of every worker's log, with the threads of those still running (the worker prints
        them on SIGUSR1)."""
        running = [(i, p) for i, p in enumerate(self.processes) if p.poll() is None]
        for _, process in running:
            process.send_signal(signal.SIGUSR1)
        dumped = lambda: all(  # noqa: E731
            b"most recent call first" in (self.folder / f"worker-{i}.log").read_bytes() for i, _ in running
        )
        deadline = time.monotonic() + 5
        while not dumped() and time.monotonic() < deadline:
            time.sleep(0.05)
        return "\n".join(
            f"--- {p.name}\n{_tail(p.read_text(errors='replace'))}" for p in sorted(self.folder.glob("worker-*.log"))
        )

    def kill(self, process: subprocess.Popen) -> None:
        """SIGKILL a worker and its children (RQ's scheduler), as when its machine dies."""
        children = descendants(process.pid)
        process.kill()
        process.wait(timeout=10)
        kill_all(children)

    def stop(self) -> None:
        """SIGTERM (warm shutdown), then SIGKILL whatever outlives the deadline, children included."""
        children = [pid for process in self.processes if process.poll() is None for pid in descendants(process.pid)]
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in self.processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        kill_all(children)  # a killed worker leaves its scheduler process running otherwise

    def __enter__(self) -> "Workers":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def descendants(pid: int) -> list[int]:
    """Every process below pid (Linux /proc), deepest last."""
    try:
        children = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []
    return children + [grandchild for child in children for grandchild in descendants(child)]


def _tail(log: str) -> str:
    """The last lines of a worker's log before its thread dump, and the dump whole."""
    dump = re.search(r"^(Current thread|Thread) 0x", log, re.MULTILINE)
    if dump is None:
        return log[-2500:]
    return log[max(0, dump.start() - 2500) : dump.start()] + log[dump.start() :]


def kill_all(pids: list[int]) -> None:
    """SIGKILL each pid that still exists."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def wait_for(condition, seconds: float, workers: Workers | None = None, what: str = "condition"):
    """Poll until condition() is truthy; fail with the workers' logs at the deadline."""
    deadline = time.monotonic() + seconds
    while True:
        db.session.rollback()  # a fresh snapshot for every poll
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            seen = f"last seen: {condition.last}\n" if hasattr(condition, "last") else ""
            raise AssertionError(f"{what} not reached in {seconds:.0f} s\n{seen}" + (workers.logs() if workers else ""))
        time.sleep(0.1)


def statuses() -> Counter:
    """How many deliveries are in each status."""
    return Counter(dict(db.session.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all()))


def settled(expected: int):
    """A condition: every delivery reached an outcome (nothing scheduled, queued or sending)."""

    def check():
        counts = statuses()
        if sum(counts.values()) == expected and not counts.keys() & IN_FLIGHT:
            return counts
        # What is still in flight, by status and job, for the failure message.
        check.last = (
            dict(counts),
            db.session.execute(
                select(Delivery.status, Delivery.job_id, func.count())
                .where(Delivery.status.in_(IN_FLIGHT))
                .group_by(Delivery.status, Delivery.job_id)
            ).all(),
        )
        return None

    return check
