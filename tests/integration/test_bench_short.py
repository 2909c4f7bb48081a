"""The benchmarks' short version: `python -m bench.run --quick` runs every measurement and prints the table.

It checks that each figure is produced (not that the targets are met: a few hundred messages on a
busy CI machine say nothing about speed). It runs on the same database and Redis server as the rest
of the suite: its own PostgreSQL database (created and dropped) or SQLite file, its own Redis DB.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow  # starts workers, gunicorn and the fake provider: a few minutes (process start-ups)

SECTIONS = (
    "| 1 | dispatch rate",
    "| 1 | worker CPU",
    "| 2 | lateness p99",
    "| 3 | enrolment",
    "| 4 | status callbacks, max",
    "| 4 | status callbacks p99 at 300",
    "| 4 | status callbacks errors",
    "| 4 | status callbacks: web CPU",
    "| 4 | inbound SMS, max",
    "| 4 | inbound SMS p99 at 300",
    "| 4 | inbound SMS: stored ones applied",
    "| 5 | worker peak RSS",
    "| 5 | web peak RSS",
    "| 5 | Redis growth",
    "| 6 | storm of",
    "| 7 | p99 at 300 req/s with",
    "| 7 | board streams refused",
    "| 8 | poll storm, 200 votes: accepted",
    "| 8 | poll storm: runs with every vote counted exactly once",
    "| 8 | poll storm: chart on the board counts all",
    "| 9 | texts routed by one worker's lane",
    "| 9 | routing: SQL statements per text",
    "| 10 | cohort page p95 beside webhooks",
    "| 10 | status webhooks p99 at 50/s beside",
)


def _bench_urls(database_url: str, redis_url: str, tmp_path: Path) -> tuple[str, str]:
    """A database and a Redis DB of the bench's own, beside the suite's."""
    if database_url.startswith("sqlite"):
        bench_db = f"sqlite:///{tmp_path / 'bench.db'}"
    else:
        parts = urlsplit(database_url.replace("+psycopg", ""))
        bench_db = urlunsplit((parts.scheme, parts.netloc, f"/drip_bench_ci_{os.getpid()}", "", ""))
    # The Redis database after the suite's own, never the bench's default 13: someone running
    # `make bench` on the same server must not have their database flushed by a test run.
    parts = urlsplit(redis_url)
    if parts.scheme == "unix":  # the embedded Valkey's socket: the database is a query parameter
        current = dict(parse_qsl(parts.query)).get("db", "0")
    else:
        current = parts.path.strip("/") or "0"
    number = (int(current) + 1) % 16
    number = 14 if number == 13 else number
    if parts.scheme == "unix":
        query = urlencode({**dict(parse_qsl(parts.query)), "db": str(number)})
        return bench_db, urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
    return bench_db, urlunsplit((parts.scheme, parts.netloc, f"/{number}", "", ""))


@pytest.mark.timeout(960)
def test_quick_bench_prints_every_figure(database_url, redis_url, tmp_path):
    bench_db, bench_redis = _bench_urls(database_url, redis_url, tmp_path)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.run",
            "--quick",
            "--database-url",
            bench_db,
            "--redis-url",
            bench_redis,
            "--json",
            str(tmp_path / "bench.json"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,  # 10 measurements: 4-6 min, up to 10 on a 2-core CI running both suites at once
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    for section in SECTIONS:
        line = next((l for l in result.stdout.splitlines() if l.startswith(section)), None)
        assert line is not None, f"{section!r} missing from:\n{result.stdout}"
        assert "FAILED" not in line and "| n/a" not in line, line
    assert (tmp_path / "bench.json").exists()
