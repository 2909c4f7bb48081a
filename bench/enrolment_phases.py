"""Where an enrolment's seconds go: `python -m bench.enrolment_phases [--runs 3] [--learners 10000]`.

Runs the product's CSV import (bench/enrolment.drip_run) with each phase timed, wall clock and the
CPU of the thread doing it (what is not CPU here is waiting for the database): checking the rows,
storing the learners, the enrolments, the deliveries (rows built in Python, then streamed), and the
commit. The checks run in a thread of their own, a chunk ahead of the writes (`checks, ahead`):
their wall time overlaps the others'. `total` counts every thread's CPU. Prints the median of the
runs, beside the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

from bench.common import Bench, sizes_for
from bench.stack import DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL, Stack

PHASES = ("parse_csv", "checks, ahead", "store_learners", "enrolments", "deliveries", "commit", "total")


class Clock:
    """Wall, app CPU and PostgreSQL backend CPU seconds per phase, summed over the calls in `phase(name)`."""

    def __init__(self):
        self.wall, self.cpu, self.server = defaultdict(float), defaultdict(float), defaultdict(float)
        self._undo: list[tuple[object, str, object]] = []

    @contextmanager
    def phase(self, name: str, cpu_clock=time.thread_time):
        wall, cpu, server = time.perf_counter(), cpu_clock(), _backend_cpu()
        try:
            yield
        finally:
            self.wall[name] += time.perf_counter() - wall
            self.cpu[name] += cpu_clock() - cpu
            self.server[name] += _backend_cpu() - server

    def wrap_chunks(self, owner, attribute: str, name: str) -> None:
        """Time each item a generator method yields (in whichever thread runs it), as the phase `name`."""
        original = getattr(owner, attribute, None)
        if original is None:
            return
        clock = self

        def timed(*args, **kwargs):
            items = original(*args, **kwargs)
            while True:
                wall, cpu = time.perf_counter(), time.thread_time()
                try:
                    item = next(items)
                except StopIteration:
                    return
                finally:
                    clock.wall[name] += time.perf_counter() - wall
                    clock.cpu[name] += time.thread_time() - cpu
                yield item

        self.replace(owner, attribute, timed)

    def wrap(self, owner, attribute: str, name: str) -> None:
        """Time every call of owner.attribute as the phase `name` (until `restore`)."""
        original = getattr(owner, attribute, None)
        if original is None:  # an older tree without this step: its time stays in "total" only
            return

        def timed(*args, **kwargs):
            with self.phase(name):
                return original(*args, **kwargs)

        self.replace(owner, attribute, timed)

    def replace(self, owner, attribute: str, value) -> None:
        """owner.attribute = value, until `restore`."""
        self._undo.append((owner, attribute, getattr(owner, attribute)))
        setattr(owner, attribute, value)

    def restore(self) -> None:
        """Take every timer off again."""
        while self._undo:
            owner, attribute, original = self._undo.pop()
            setattr(owner, attribute, original)


def _backend_cpu() -> float:
    """CPU seconds (user + system) of the PostgreSQL backend serving the session; 0 elsewhere."""
    from drip.extensions import db

    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        return 0.0
    raw = connection.connection.driver_connection
    pid = raw.info.backend_pid
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:  # PostgreSQL on another machine
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def instrument(clock: Clock) -> None:
    """Put the phase timers around the import's steps and its one commit."""
    from drip.domain import learner_csv
    from drip.extensions import db
    from drip.services.learners import bulk, imports
    from drip.services.programs import enrolment

    clock.wrap(imports, "parse_csv", "parse_csv")  # trees before the checks ran ahead
    clock.wrap(imports, "store_learners", "store_learners")
    clock.wrap_chunks(getattr(learner_csv, "CsvCheck", None), "chunks", "checks, ahead")
    clock.wrap(getattr(bulk, "LearnerStore", None), "add", "store_learners")
    clock.wrap(getattr(bulk, "LearnerStore", None), "finish", "store_learners")
    clock.wrap(enrolment, "_insert_enrolments", "enrolments")
    clock.wrap(enrolment, "_insert_deliveries", "deliveries")
    total = imports.run_import

    def timed_total(*args, **kwargs):
        with clock.phase("total", time.process_time):
            return total(*args, **kwargs)

    clock.replace(imports, "run_import", timed_total)
    commit = imports.db.session.commit

    class Session:  # the import's `db.session`: the real one, its commit timed
        def __getattr__(self, name):
            return getattr(db.session, name)

        def commit(self):
            with clock.phase("commit"):
                return commit()

    class Db:
        session = Session()

    clock.replace(imports, "db", Db())


def one_run(bench: Bench, learners: int, steps: int) -> Clock:
    """One import of `learners` learners into a `steps`-step session, timed per phase."""
    from bench.enrolment import drip_run

    clock = Clock()
    instrument(clock)
    try:
        result = drip_run(bench, learners, steps)
    finally:
        clock.restore()
    if result["deliveries"] != learners * steps:
        raise SystemExit(f"wrong count: {result['deliveries']} deliveries")
    return clock


def main(argv=None) -> int:
    """Run the import `--runs` times and print each phase's median wall and CPU seconds."""
    parser = argparse.ArgumentParser(prog="python -m bench.enrolment_phases", description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--keep-db", action="store_true", help="keep the last run's rows (to study them)")
    options = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="drip-phases-"))
    stack = Stack(options.database_url, options.redis_url, workdir, keep_database=options.keep_db)
    bench = Bench(stack, sizes_for(False, options.runs, None), workdir, verbose=False)
    stack.create()
    try:
        clocks = [one_run(bench, options.learners, options.steps) for _ in range(options.runs)]
    finally:
        stack.drop()
    print(f"{options.learners:,} learners x {options.steps} steps, {options.runs} runs, {stack.sqlalchemy_url}")
    print(f"load average {' / '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print("seconds, median of the runs; 'other' = wall - app CPU - PostgreSQL CPU (round trips, I/O, the load)")
    print(f"{'phase':<16} {'wall':>7} {'app CPU':>8} {'PG CPU':>7} {'other':>7}   wall per run")
    for name in PHASES:
        if not any(name in c.wall for c in clocks):
            continue
        wall, cpu, server = (statistics.median(c[name] for c in by) for by in _columns(clocks))
        runs = " / ".join(f"{c.wall[name]:.2f}" for c in clocks)
        print(f"{name:<16} {wall:>7.2f} {cpu:>8.2f} {server:>7.2f} {wall - cpu - server:>7.2f}   {runs}")
    return 0


def _columns(clocks: list[Clock]):
    return [c.wall for c in clocks], [c.cpu for c in clocks], [c.server for c in clocks]


if __name__ == "__main__":
    raise SystemExit(main())
