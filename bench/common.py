"""What every measurement shares: sizes, the run context, statistics and the figures of the table."""

from __future__ import annotations

import math
import statistics
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from bench.stack import Stack


@dataclass(frozen=True)
class Sizes:
    """How big and how often: the full run's defaults; QUICK is the seconds-long CI version."""

    runs: int = 3
    dispatch_messages: int = 20_000
    dispatch_baseline_messages: int = 300
    celery_messages: int = 5_000
    lateness_messages: int = 10_000
    lateness_spread: float = 60.0
    lateness_baseline_messages: int = 300
    enrol_learners: int = 10_000
    enrol_steps: int = 10
    enrol_baseline_learners: int = 1_000
    ingest_seconds: float = 15.0
    ingest_fixed_seconds: float = 10.0
    ingest_fixed_rate: float = 300.0
    storm_callbacks: int = 10_000
    storm_questions: int = 20
    streams: int = 200
    peers: bool = True  # the second baselines (in-request design, Celery); the quick run skips them
    memory_learners: int = 10_000  # x enrol_steps deliveries scheduled
    memory_baseline_jobs: int = 10_000
    workers: int = 2
    provider_latency: float = 0.15
    poll_voters: int = 3_000  # the poll storm's votes (`--poll-voters 10000` for the room of ten thousand)
    poll_baseline_votes: int = 1_000  # the old path's (each of its votes costs more than the one before)
    route_texts: int = 2_000  # stored texts one worker's lane routes, each path
    cohort_readers: int = 500  # learners reading cohort pages at once beside the status webhooks
    cohort_think: float = 60.0  # seconds between a reader's visits to the page, on average
    cohort_hook_rate: float = 100.0  # status webhooks a second beside them (steady, below the web's maximum)
    cohort_seconds: float = 15.0
    cohort_learners: int = 2_000
    cohort_answers: int = 500
    cohort_questions: int = 200
    cohort_reader_slots: int | None = None  # DRIP_COHORT_READER_SLOTS for the web (None: the app's default; 0: no gate)


# One worker each: process start-ups are most of a quick run's time, and one shows every code path.
QUICK = Sizes(
    runs=1,
    dispatch_messages=600,
    dispatch_baseline_messages=20,
    celery_messages=200,
    lateness_messages=300,
    lateness_spread=3.0,
    lateness_baseline_messages=10,
    enrol_learners=300,
    enrol_baseline_learners=60,
    ingest_seconds=2.0,
    ingest_fixed_seconds=1.5,
    memory_learners=200,
    memory_baseline_jobs=500,
    workers=1,
    storm_callbacks=600,
    storm_questions=3,
    streams=20,
    peers=False,
    poll_voters=200,
    poll_baseline_votes=100,
    route_texts=100,
    cohort_readers=20,
    cohort_think=1.0,
    cohort_hook_rate=50.0,
    cohort_seconds=2.0,
    cohort_learners=100,
    cohort_answers=20,
    cohort_questions=10,
)


def sizes_for(quick: bool, runs: int | None, poll_voters: int | None = None) -> Sizes:
    """The preset, with the number of runs (and the poll storm's votes) overridden when given."""
    chosen = QUICK if quick else Sizes()
    chosen = replace(chosen, runs=runs) if runs else chosen
    return replace(chosen, poll_voters=poll_voters) if poll_voters else chosen


@dataclass
class Bench:
    """One `bench.run` invocation: where it runs, how big, and a log of what it is doing."""

    stack: Stack
    sizes: Sizes
    workdir: Path
    verbose: bool = True
    extras: dict = field(default_factory=dict)  # figures one measurement leaves for another (memory)

    def say(self, message: str) -> None:
        """Progress on stderr, so stdout carries only the table."""
        if self.verbose:
            print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def median(values: list[float]) -> float:
    """Median, NaN for no values."""
    clean = [v for v in values if v is not None and not math.isnan(v)]
    return statistics.median(clean) if clean else math.nan


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0-100), nearest-rank on sorted values; NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Figure:
    """One row of the table: Drip's value (median of runs) beside the baseline's, the target and the verdict."""

    section: str
    name: str
    unit: str
    runs: list[float]
    baseline_runs: list[float] = field(default_factory=list)
    baseline_label: str = ""
    target: str = ""
    meets: Callable[[float, float], bool] | None = None  # (value, baseline) -> met?
    note: str = ""
    # A second baseline measured in the same run (the design being replaced), shown after the first.
    second_runs: list[float] = field(default_factory=list)
    second_label: str = ""

    @property
    def value(self) -> float:
        """Median of Drip's runs."""
        return median(self.runs)

    @property
    def baseline(self) -> float:
        """Median of the baseline's runs."""
        return median(self.baseline_runs)

    @property
    def verdict(self) -> str:
        """PASS, MISS, or blank when the row has no target."""
        if self.meets is None:
            return ""
        if math.isnan(self.value):
            return "MISS"
        return "PASS" if self.meets(self.value, self.baseline) else "MISS"


def fmt(value: float, unit: str = "") -> str:
    """A number at a sensible precision."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if not unit and float(value).is_integer():
        return f"{int(value):,}"
    magnitude = abs(value)
    text = (
        f"{value:,.0f}"
        if magnitude >= 100
        else f"{value:.1f}"
        if magnitude >= 10
        else f"{value:.2f}"
        if magnitude >= 0.1 or magnitude == 0
        else f"{value:.3f}"
    )
    return f"{text} {unit}".strip()


def table(figures: list[Figure], runs: int) -> str:
    """The one table `make bench` prints (GitHub Markdown, so README can quote it as is)."""
    header = ["#", "figure", f"Drip (median of {runs})", "baseline (same run)", "target", "result"]
    rows = [header, ["---"] * len(header)]
    for f in figures:
        ratio = ""
        if f.baseline_runs and not math.isnan(f.baseline) and f.baseline and not math.isnan(f.value):
            ratio = f" ({f.value / f.baseline:.2g}x)" if abs(f.value / f.baseline) >= 0.01 else ""
        baseline = f"{fmt(f.baseline, f.unit)} {f.baseline_label}".strip() if f.baseline_runs else f.baseline_label
        if f.second_runs:
            baseline = f"{baseline}; {fmt(median(f.second_runs), f.unit)} {f.second_label}".strip("; ")
        name = f"{f.name}" + (f" [{f.note}]" if f.note else "")
        rows.append([f.section, name, fmt(f.value, f.unit) + ratio, baseline or "-", f.target or "-", f.verdict or "-"])
    return "\n".join("| " + " | ".join(cells) + " |" for cells in rows)


def time_pages(client, paths: dict[str, str], runs: int) -> dict[str, tuple[int, float, float]]:
    """Each page's status, median and 95th-percentile milliseconds through an app's test client.

    Every page is asked for once first (templates compiled, plans cached), then `runs` rounds ask for
    each in turn, so all pages see the same machine whatever else it is doing.
    """
    statuses = {name: client.get(path).status_code for name, path in paths.items()}
    times: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(runs):
        for name, path in paths.items():
            began = time.perf_counter()
            client.get(path)
            times[name].append((time.perf_counter() - began) * 1000)
    return {name: (statuses[name], median(found), percentile(found, 95)) for name, found in times.items()}
