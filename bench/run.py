"""`python -m bench.run [--quick]`: every measurement, then one table of figures beside their baselines."""

from __future__ import annotations

import argparse
import importlib
import json
import math
import shutil
import signal
import sys
import tempfile
import time
import traceback
from dataclasses import replace
from pathlib import Path

from bench.common import Bench, Figure, sizes_for, table
from bench.procs import MachineLoad, stop_all
from bench.stack import DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL, Stack

MEASUREMENTS = (
    "dispatch",
    "lateness",
    "enrolment",
    "ingest",
    "memory",
    "storm",
    "streams",
    "poll_storm",
    "route",
    "cohort_readers",
)
SECTIONS = {
    "dispatch": "1",
    "lateness": "2",
    "enrolment": "3",
    "ingest": "4",
    "memory": "5",
    "storm": "6",
    "streams": "7",
    "poll_storm": "8",
    "route": "9",
    "cohort_readers": "10",
}


def parse(argv) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one run each (CI)")
    parser.add_argument("--runs", type=int, help="runs per figure (default 3, quick 1)")
    parser.add_argument(
        "--only", default=",".join(MEASUREMENTS), help="comma-separated subset of " + ", ".join(MEASUREMENTS)
    )
    parser.add_argument("--poll-voters", type=int, help="votes in the poll storm (default 3,000; quick 200)")
    parser.add_argument(
        "--reader-slots", type=int, help="cohort readers let in at once per web process (0: no gate; default the app's)"
    )
    parser.add_argument(
        "--database-url",
        default=DEFAULT_DATABASE_URL,
        help="PostgreSQL database created and dropped for the run, or sqlite:///file",
    )
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL, help="Redis database flushed between runs")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database at the end")
    parser.add_argument("--keep-workdir", action="store_true", help="keep process logs and scratch files")
    parser.add_argument("--json", type=Path, help="also write every run's raw numbers here")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    return parser.parse_args(argv)


def _stop(signum, _frame):
    raise SystemExit(128 + signum)  # unwinds through the finally blocks, which stop every child


def main(argv=None) -> int:
    """Run the chosen measurements, print the table; 0 when every measurement produced its figures."""
    options = parse(argv)
    chosen = [name.strip() for name in options.only.split(",") if name.strip()]
    unknown = set(chosen) - set(MEASUREMENTS)
    if unknown:
        raise SystemExit(f"unknown measurement(s): {', '.join(sorted(unknown))}")
    signal.signal(signal.SIGTERM, _stop)
    sizes = sizes_for(options.quick, options.runs, options.poll_voters)
    if options.reader_slots is not None:
        sizes = replace(sizes, cohort_reader_slots=options.reader_slots)
    workdir = Path(tempfile.mkdtemp(prefix="drip-bench-"))
    stack = Stack(options.database_url, options.redis_url, workdir, keep_database=options.keep_db)
    bench = Bench(stack, sizes, workdir, verbose=not options.quiet)
    figures: list[Figure] = []
    broken = []
    loads: dict[str, dict] = {}
    began = time.monotonic()
    try:
        bench.say(f"workdir {workdir}; database {stack.sqlalchemy_url}; redis {stack.redis_url}")
        stack.create()
        for name in (m for m in MEASUREMENTS if m in chosen):
            load = MachineLoad()
            try:
                figures.extend(importlib.import_module(f"bench.{name}").measure(bench))
            except Exception as error:  # one broken measurement must not hide the others
                traceback.print_exc()
                broken.append(name)
                figures.append(
                    Figure(
                        SECTIONS[name],
                        name,
                        "",
                        [],
                        note=f"FAILED: {error}".splitlines()[0][:160],
                        meets=lambda v, b: False,
                    )
                )
            loads[name] = load.summary()
    finally:
        stop_all()
        try:
            stack.drop()
        finally:
            if options.keep_workdir or broken:
                bench.say(f"logs kept in {workdir}")
            else:
                shutil.rmtree(workdir, ignore_errors=True)
    print(
        f"\nDrip benchmarks, {time.strftime('%Y-%m-%d')}, {'quick' if options.quick else 'full'} run "
        f"({time.monotonic() - began:.0f} s)\n"
    )
    print(table(figures, sizes.runs))
    print(
        "\nMachine during each measurement (2 cores; 'others' = processes outside this benchmark's tree,"
        " PostgreSQL and Redis included):"
    )
    for name, load in loads.items():
        print(
            f"- {SECTIONS[name]} {name}: {load['seconds']:.0f} s, {load['busy_cores']:.2f} cores busy, "
            f"others {load['other_cores']:.2f} cores, load average {load['loadavg']:.1f}"
        )
    if options.json:
        options.json.write_text(
            json.dumps(
                {
                    "sizes": sizes.__dict__,
                    "extras": bench.extras,
                    "loads": loads,
                    "figures": [_raw(f) for f in figures],
                },
                indent=1,
                default=str,
            )
        )
    missed = [f for f in figures if f.verdict == "MISS"]
    return 1 if broken or (options.strict and missed) else 0


def _raw(figure: Figure) -> dict:
    clean = lambda v: None if v is None or (isinstance(v, float) and math.isnan(v)) else v  # noqa: E731
    return {
        "section": figure.section,
        "name": figure.name,
        "unit": figure.unit,
        "runs": figure.runs,
        "baseline_runs": figure.baseline_runs,
        "value": clean(figure.value),
        "baseline": clean(figure.baseline),
        "target": figure.target,
        "verdict": figure.verdict,
        "note": figure.note,
    }


if __name__ == "__main__":
    sys.exit(main())
