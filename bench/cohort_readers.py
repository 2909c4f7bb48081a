"""10. The cohort page open on 500 learners' phones while status webhooks arrive (issue 24, item 7).

bench.cohort_page's cohort (2,000 learners, 500 approved answers, 200 questions with votes) behind
gunicorn as the Procfile runs it. Readers: 500 learners with the page open, each refreshing their own
/c/<token>/room.json as the page's script does in the live window (every 5 s after the last answer,
If-None-Match with the ETag they last got, which their page got before the run: a page open for a
while; bench.wrk_readers.Refreshes), and 500 more opening a random learner's /c/<token> every
`cohort_think` seconds on average (a reader coming back to the page). Webhooks: signed Twilio status callbacks at a fixed rate
(bench.loadgen, latency from each request's due time, as section 4). Each run times readers alone
and webhooks alone (the baselines), then both at once; no worker runs (the web's figures are the
web's, as in section 4). A second baseline tells the readers' effect on the webhooks apart from the
machine's: the webhooks beside two processes that only burn, in 2 ms bursts, as much CPU as the readers
cost the web and wrk together when alone (on two cores any such work delays a webhook a little: its
process waits for a core more often). A third: the webhooks beside the same readers served by the web
workers themselves, as before there were reader workers (a second gunicorn with
DRIP_COHORT_READER_PROCESSES=0, measured right after).
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from pathlib import Path

from bench.cohort_page import seed_cohort
from bench.common import Bench, Figure
from bench.fleet import gunicorn
from bench.ingest import PATHS, Bodies, loadgen
from bench.procs import niced_cpu_seconds, tree_cpu_seconds, wait_until
from bench.provider import twilio_env
from bench.wrk_readers import POLL_MS, Readers, Refreshes


# Burns `duty` of one core for `seconds` in bursts of 2 ms, touching nothing else (argv: duty, seconds).
HOG = """import sys, time
duty, end = float(sys.argv[1]), time.monotonic() + float(sys.argv[2])
while time.monotonic() < end:
    burst = time.monotonic() + 0.002
    while time.monotonic() < burst:
        pass
    time.sleep(0.002 * (1 - duty) / duty)
"""


def _hogs(cores: float, seconds: float) -> list[subprocess.Popen]:
    """Two processes burning `cores` of CPU between them (at most 0.9 of a core each) for `seconds`."""
    duty = min(max(cores / 2, 0.01), 0.9)
    return [subprocess.Popen([sys.executable, "-c", HOG, str(duty), str(seconds)]) for _ in range(2)]


def _children_cpu() -> float:
    """CPU seconds of this process's children that have ended (wrk, once its run is over)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


class Room:
    """The readers of one measurement: the page opens and the page's room polls, side by side."""

    def __init__(self, base: str, paths: Path, refreshes: Path, seconds: float, sizes):
        readers = sizes.cohort_readers
        self.pages = Readers(base, paths, seconds, readers, int(sizes.cohort_think * 1000))
        self.polls = Refreshes(base, refreshes, seconds, readers)

    def result(self) -> dict:
        """{"pages": ..., "polls": ...} once both are done."""
        try:
            pages = self.pages.result()
        finally:
            polls = self.polls.result()  # waited for (or stopped) whatever became of the pages
        return {"pages": pages, "polls": polls}


def _seed(bench: Bench) -> tuple[list[str], list[str], list[str]]:
    """The cohort, its learners' page paths, and a provider id on each SMS delivery (the callbacks' messages)."""
    from sqlalchemy import select, update

    from drip.extensions import db
    from drip.models import Delivery, Enrollment, Learner

    sizes, app = bench.sizes, bench.stack.app()
    ids = seed_cohort(app, sizes.cohort_learners, sizes.cohort_answers, sizes.cohort_questions)
    with app.app_context():
        tokens = db.session.scalars(select(Enrollment.cohort_token).where(Enrollment.session_id == ids["session"]))
        paths = [f"/c/{token}" for token in tokens]
        rows = db.session.execute(
            select(Delivery.id, Learner.phone)
            .join(Learner, Learner.id == Delivery.learner_id)
            .where(Delivery.session_id == ids["session"], Delivery.channel == "sms")
            .order_by(Delivery.id)
        ).all()
        sids = [f"SM{delivery_id:032x}" for delivery_id, _ in rows]
        db.session.execute(update(Delivery), [{"id": d, "provider_message_id": sid} for (d, _), sid in zip(rows, sids)])
        db.session.commit()
        db.session.remove()
    return paths, [phone for _, phone in rows], sids


def _seen(base: str, paths: list[str], listed: Path) -> Path:
    """Each learner's room as their page last got it: "path TAB etag" lines beside `listed` (one GET each)."""
    import requests

    lines = []
    with requests.Session() as http:
        for path in paths:
            answer = http.get(base + path + "/room.json", headers={"Accept": "application/json"}, timeout=30)
            answer.raise_for_status()
            lines.append(f"{path}\t{answer.headers.get('ETag', '')}")
    seen = listed.with_name("cohort-refreshes.txt")
    seen.write_text("\n".join(lines) + "\n")
    return seen


def measure(bench: Bench) -> list[Figure]:
    """Readers alone, webhooks alone, both at once, `runs` times; the rows of section 10."""
    sizes, stack = bench.sizes, bench.stack
    stack.reset()
    paths, phones, sids = _seed(bench)
    listed = bench.workdir / "cohort-paths.txt"
    listed.write_text("\n".join(paths) + "\n")
    bodies = Bodies("status", phones, sids, bench.workdir)
    seconds, rate = sizes.cohort_seconds, sizes.cohort_hook_rate
    gate = {} if sizes.cohort_reader_slots is None else {"DRIP_COHORT_READER_SLOTS": str(sizes.cohort_reader_slots)}
    env = stack.env(**twilio_env("http://127.0.0.1:9"), **gate)
    web, base = gunicorn(bench, env, name="web-cohort")
    in_web, in_web_base = gunicorn(bench, {**env, "DRIP_COHORT_READER_PROCESSES": "0"}, name="web-cohort-in-web")

    def hooks(at: str = base) -> dict:
        return loadgen(at, bodies.file(int(seconds * rate) + 100), seconds, rate, path=PATHS["status"])

    runs = []
    try:
        refreshes = _warm(base, paths[: sizes.cohort_readers], listed, bodies)
        _warm(in_web_base, [], listed, bodies, refreshes)
        for _ in range(sizes.runs):
            cpu, clients, niced = tree_cpu_seconds(web.pid), _children_cpu(), niced_cpu_seconds(web.pid)
            alone = Room(base, listed, refreshes, seconds, sizes).result()
            cpu, used = tree_cpu_seconds(web.pid), tree_cpu_seconds(web.pid) - cpu
            in_readers = niced_cpu_seconds(web.pid) - niced
            alone["web_cores"] = used / seconds
            alone["reader_cores"] = (used + _children_cpu() - clients) / seconds  # the web's and wrk's
            # CPU per request does not depend on what else the machine is doing, unlike latency
            # per reader request served (a 503 from the gate costs next to nothing and is not one)
            served = max((alone["pages"]["served"] + alone["polls"]["served"]) * seconds, 1)
            alone["cpu_ms"] = used * 1000 / served
            alone["web_workers_cpu_ms"] = (used - in_readers) * 1000 / served  # what the webhooks' processes spent
            _settle(in_web.pid)
            cpu = tree_cpu_seconds(in_web.pid)
            in_web_alone = Room(in_web_base, listed, refreshes, seconds, sizes).result()
            served = max((in_web_alone["pages"]["served"] + in_web_alone["polls"]["served"]) * seconds, 1)
            in_web_alone["web_workers_cpu_ms"] = (tree_cpu_seconds(in_web.pid) - cpu) * 1000 / served
            _settle(in_web.pid)
            _settle(web.pid)  # the webhooks alone are alone: no reader request left queued in the web
            cpu = tree_cpu_seconds(web.pid)
            hooks_alone = hooks()
            hooks_alone["cpu_ms"] = (tree_cpu_seconds(web.pid) - cpu) * 1000 / max(hooks_alone["requests"], 1)
            hogs = _hogs(alone["reader_cores"], seconds + 4)
            time.sleep(2)  # burning before the webhooks start, and until they end
            hooks_hogged = hooks()
            for hog in hogs:
                hog.wait(timeout=30)
            _settle(web.pid)
            both = Room(base, listed, refreshes, seconds + 4, sizes)
            time.sleep(2)  # the readers are all there before the webhooks start, and stay until they end
            hooks_beside = hooks()
            beside = both.result()
            _settle(web.pid)
            readers_in_web = Room(in_web_base, listed, refreshes, seconds + 4, sizes)
            time.sleep(2)
            hooks_in_web = hooks(in_web_base)
            in_web_readers = readers_in_web.result()
            _settle(in_web.pid)
            runs.append(
                {
                    "readers": alone,
                    "hooks": hooks_alone,
                    "both_readers": beside,
                    "both_hooks": hooks_beside,
                    "hogged_hooks": hooks_hogged,
                    "in_web_readers": in_web_readers,
                    "in_web_alone": in_web_alone,
                    "in_web_hooks": hooks_in_web,
                }
            )
            _settle(web.pid)
            bench.say(
                f"  cohort readers: pages {alone['pages']['rate']:.1f}/s p95 {alone['pages']['p95'] * 1000:.0f} ms "
                f"alone, {beside['pages']['p95'] * 1000:.0f} ms beside webhooks; polls {alone['polls']['rate']:.0f}/s "
                f"p95 {alone['polls']['p95'] * 1000:.0f} ms ({alone['polls']['unchanged']:.0%} 304); webhooks p99 {hooks_alone['p99'] * 1000:.1f} ms alone, "
                f"{hooks_beside['p99'] * 1000:.1f} ms beside readers, {hooks_hogged['p99'] * 1000:.1f} ms beside "
                f"{alone['reader_cores']:.2f} cores of burning, {hooks_in_web['p99'] * 1000:.1f} ms beside readers "
                f"served in the web workers; web {alone['web_cores']:.2f} cores; "
                f"503s {alone['pages']['busy'] + alone['polls']['busy']} alone, "
                f"{beside['pages']['busy'] + beside['polls']['busy']} beside"
            )
            for leftover in bench.workdir.glob("bodies-*"):
                leftover.unlink()
    finally:
        web.stop()
        in_web.stop()
    bench.extras["cohort_readers"] = runs
    stack.reset()
    return _figures(sizes, runs)


def _warm(base: str, paths: list[str], listed: Path, bodies: Bodies, refreshes: Path | None = None) -> Path:
    """Imports, pools and templates in every worker of one web; the learners' rooms as their pages last got them."""
    Readers(base, listed, 2, 8, 0).result()
    refreshes = refreshes or _seen(base, paths, listed)
    Refreshes(base, refreshes, 2, 8, every_ms=0).result()
    loadgen(base, bodies.file(200), 1.0, rate=100, path=PATHS["status"])
    return refreshes


def _settle(pid: int) -> None:
    """Wait until the web is idle: requests whose client has gone (wrk stopped) are still served, and
    a webhook measured alone must not queue behind them."""

    def idle() -> bool:
        before = tree_cpu_seconds(pid)
        time.sleep(0.5)
        return tree_cpu_seconds(pid) - before < 0.03

    wait_until(idle, timeout=120, interval=0, what="the web to finish the readers' requests")


def _figures(sizes, runs: list[dict]) -> list[Figure]:
    readers, rate, think = sizes.cohort_readers, sizes.cohort_hook_rate, sizes.cohort_think
    load = f"{readers} readers, {sizes.cohort_learners:,} learners, a page each {think:g} s"

    def ms(part: str, at: str):
        return lambda r: r[part][at] * 1000

    def errors(r):
        return r["pages"]["errors"] + r["polls"]["errors"] + r["hooks"]["errors"]

    def busy(r):
        return r["pages"]["busy"] + r["polls"]["busy"]

    rows = [  # name, unit, pick (a run's readers and webhooks), baseline label, target, met
        (f"cohort page p50 beside webhooks at {rate:.0f}/s ({load})", "ms", ms("pages", "p50"), "(readers alone)"),
        ("cohort page p95 beside webhooks", "ms", ms("pages", "p95"), "(readers alone)", "<= 150 ms", 150),
        (f"room refresh p95 (room.json each {POLL_MS / 1000:g} s)", "ms", ms("polls", "p95"), "(readers alone)"),
        ("room refreshes answered 304 (unchanged)", "%", lambda r: r["polls"]["unchanged"] * 100, "(readers alone)"),
        (
            "pages and refreshes served (503s not counted)",
            "/s",
            lambda r: r["pages"]["served"] + r["polls"]["served"],
            "(alone)",
        ),
        (
            f"status webhooks p99 at {rate:.0f}/s beside {readers} readers",
            "ms",
            ms("hooks", "p99"),
            "(alone)",
            "<= 50 ms",
            50,
        ),
        ("errors beside each other (pages, refreshes, webhooks; 503s apart)", "", errors, "(alone)", "0", 0),
        ("readers told to come back (503 with Retry-After)", "", busy, "(alone)"),
    ]
    figures = []
    for name, unit, pick, label, *goal in rows:
        target, limit = goal or ("", None)
        beside = [pick(r["both_readers"] | {"hooks": r["both_hooks"]}) for r in runs]
        alone = [pick(r["readers"] | {"hooks": r["hooks"]}) for r in runs]
        meets = None if limit is None else (lambda v, b, limit=limit: v <= limit)
        figures.append(Figure("10", name, unit, beside, alone, label, target, meets))
    hooks_row = next(figure for figure in figures if figure.name.startswith("status webhooks p99"))
    hooks_row.second_runs = [r["hogged_hooks"]["p99"] * 1000 for r in runs]
    hooks_row.second_label = "(alone beside the readers' CPU burnt by two unrelated processes)"
    # p99 of 1,500 webhooks is their 15 slowest: one stall of the machine (100-200 ms, seen in any phase, the
    # webhooks alone too) decides it; p95 tells the readers' steady effect apart from such a stall.
    figures.append(
        Figure(
            "10",
            f"status webhooks p95 at {rate:.0f}/s beside {readers} readers",
            "ms",
            [r["both_hooks"]["p95"] * 1000 for r in runs],
            [r["hooks"]["p95"] * 1000 for r in runs],
            "(alone)",
            second_runs=[r["hogged_hooks"]["p95"] * 1000 for r in runs],
            second_label="(alone beside the readers' CPU burnt by two unrelated processes)",
        )
    )
    # The same readers and webhooks against the gunicorn with DRIP_COHORT_READER_PROCESSES=0, beside the above.
    in_web = [r["in_web_readers"] | {"hooks": r["in_web_hooks"]} for r in runs]
    against_reader_workers = [r["both_readers"] | {"hooks": r["both_hooks"]} for r in runs]
    for name, pick, label in (
        (
            "status webhooks p99 beside the readers served in the web workers (DRIP_COHORT_READER_PROCESSES=0)",
            ms("hooks", "p99"),
            "(beside readers served by the reader workers)",
        ),
        (
            "status webhooks p95 beside the readers served in the web workers",
            ms("hooks", "p95"),
            "(beside readers served by the reader workers)",
        ),
        (
            "cohort page p95 beside webhooks, served in the web workers",
            ms("pages", "p95"),
            "(served by the reader workers)",
        ),
    ):
        figures.append(
            Figure("10", name, "ms", [pick(r) for r in in_web], [pick(r) for r in against_reader_workers], label)
        )
    figures.append(Figure("10", "web CPU with readers alone", "cores", [r["readers"]["web_cores"] for r in runs]))
    figures.append(
        Figure("10", "CPU of the readers alone (web and wrk)", "cores", [r["readers"]["reader_cores"] for r in runs])
    )
    figures.append(
        Figure(
            "10",
            "CPU per reader request served in the web workers (the webhooks' processes)",
            "ms",
            [r["readers"]["web_workers_cpu_ms"] for r in runs],
            [r["in_web_alone"]["web_workers_cpu_ms"] for r in runs],
            "(readers served in the web workers)",
        )
    )
    figures.append(
        Figure(
            "10",
            "web CPU per reader request served (pages and refreshes; 503s not counted)",
            "ms",
            [r["readers"]["cpu_ms"] for r in runs],
            [r["hooks"]["cpu_ms"] for r in runs],
            "(per status webhook)",
        )
    )
    return figures
