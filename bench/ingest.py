"""4. Webhook ingest: signed Twilio status callbacks and inbound SMS against gunicorn as the Procfile runs it.

Every post is distinct and correctly signed (X-Twilio-Signature over PUBLIC_BASE_URL + path):
status callbacks report `sent` then `delivered` for SMS deliveries that exist; inbound texts come
from learners of a live session, so each one becomes a live question. Drip (webhooks stored and
acknowledged; one Drip worker then applies them, timed apart) is measured beside two
baselines in the same run: a trivial Flask endpoint under the same gunicorn (the ceiling), and the
former in-request design (bench/in_request_app.py: each webhook applied or routed in its request).
Max throughput: wrk (one thread, 16 connections; the Python client if wrk is absent). Fixed rate:
bench.loadgen, latency from each request's due time. Web CPU: gunicorn's tree over the max run.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from bench import seed
from bench.common import Bench, Figure
from bench.fleet import drip_workers, gunicorn, wait_registered
from bench.procs import RssSampler, tree_cpu_seconds
from bench.provider import FROM_NUMBER, twilio_env
from bench.stack import PUBLIC_BASE_URL, ROOT, VENV_BIN
from drip.models import utcnow
from fakes.provider_apis import ACCOUNT_SID, AUTH_TOKEN

PATHS = {"sms": "/webhooks/twilio/sms", "status": "/webhooks/twilio/status"}
CONNECTIONS = 16
SEEDED = 20_000  # learners of the live session, each with one SMS sent
IN_REQUEST = "bench.in_request_app:create_app()"  # the second baseline: the webhooks before issue 14
MAX_RATE_GUESS = {"sms": 1500, "status": 2500}  # bodies per second of load to prepare, so none is sent twice


class Bodies:
    """Distinct signed bodies of one kind, handed out in slices (files of `signature<TAB>body` lines)."""

    def __init__(self, kind: str, phones: list[str], sids: list[str], workdir: Path):
        self.kind, self.phones, self.sids, self.workdir = kind, phones, sids, workdir
        self.used = 0
        self.validator, self.url = RequestValidator(AUTH_TOKEN), PUBLIC_BASE_URL + PATHS[kind]

    def _params(self, i: int) -> dict:
        if self.kind == "status":
            # Each message reports sent, then delivered; past the seeded messages, unknown ones (still stored).
            sid = self.sids[i // 2] if i // 2 < len(self.sids) else "SM" + uuid.uuid4().hex
            return {
                "MessageSid": sid,
                "SmsSid": sid,
                "AccountSid": ACCOUNT_SID,
                "MessageStatus": ("sent", "delivered")[i % 2],
                "To": self.phones[(i // 2) % len(self.phones)],
                "From": FROM_NUMBER,
                "ApiVersion": "2010-04-01",
            }
        sid = "SM" + uuid.uuid4().hex
        return {
            "MessageSid": sid,
            "SmsSid": sid,
            "AccountSid": ACCOUNT_SID,
            "From": self.phones[i % len(self.phones)],
            "To": FROM_NUMBER,
            "Body": f"Question {i}: how do I give feedback to someone senior?",
            "NumMedia": "0",
            "NumSegments": "1",
        }

    def file(self, count: int) -> Path:
        """The next `count` bodies, never handed out before (`sent` gives back those a run did not post)."""
        path = self.workdir / f"bodies-{self.kind}-{uuid.uuid4().hex[:8]}.txt"
        self.start = self.used
        with open(path, "w") as out:
            for i in range(self.used, self.used + count):
                params = self._params(i)
                out.write(f"{self.validator.compute_signature(self.url, params)}\t{urlencode(params)}\n")
        self.used += count
        return path

    def sent(self, requests: int) -> None:
        """The last file's first `requests` bodies were posted; the rest may be handed out again."""
        self.used = self.start + requests


def wrk(base: str, bodies: Path, seconds: float, path: str, *, script: Path | None = None, until: str = "") -> dict:
    """Closed-loop maximum with wrk (bench/wrk_bodies.lua unless another script is given); its own CPU from wait4.

    With `until`, wrk is interrupted (SIGINT: it stops and reports) as soon as its output shows that line.
    """
    argv = [
        "wrk",
        "-t1",
        f"-c{CONNECTIONS}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "5s",
        "-s",
        str(script or ROOT / "bench" / "wrk_bodies.lua"),
        base + path,
        "--",
        str(bodies),
        path,
    ]
    with open(bodies.with_suffix(".wrk.out"), "w+") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            usage = _wait_for_wrk(proc, bodies.with_suffix(".wrk.out"), until)
        except BaseException:  # interrupted (Ctrl-C, SIGTERM, a deadline): wrk must not outlive the run
            proc.kill()
            proc.wait()
            raise
        finally:
            proc.returncode = 0  # already reaped by wait4
        out.seek(0)
        text = out.read()
    line = next((l for l in text.splitlines() if l.startswith("WRK_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {text[-500:]}")
    data = json.loads(line[len("WRK_JSON ") :])
    duration = data["duration_us"] / 1e6
    errors = sum(data[k] for k in ("status_errors", "connect_errors", "read_errors", "write_errors", "timeouts"))
    return {
        "rate": data["requests"] / duration,
        "p50": data["p50_us"] / 1e6,
        "p99": data["p99_us"] / 1e6,
        "errors": errors,
        "requests": data["requests"],
        "client_cpu": (usage.ru_utime + usage.ru_stime) / duration,
        "client": "wrk",
    }


def _wait_for_wrk(proc: subprocess.Popen, output: Path, until: str):
    """wrk's resource usage once it has exited (interrupted once `until` shows in its output, when given)."""
    interrupted = False
    while True:
        pid, _, usage = os.wait4(proc.pid, os.WNOHANG if until else 0)
        if pid:
            return usage
        if not interrupted and until in output.read_text():
            proc.send_signal(signal.SIGINT)
            interrupted = True
        time.sleep(0.02)


def loadgen(
    base: str,
    bodies: Path,
    seconds: float,
    rate: float = 0.0,
    *,
    path: str = PATHS["sms"],
    connections: int | None = None,
) -> dict:
    """bench.loadgen in its own process: a fixed rate, or closed loop when rate is 0."""
    argv = [
        str(VENV_BIN / "python"),
        "-m",
        "bench.loadgen",
        base,
        str(bodies),
        "--seconds",
        str(seconds),
        "--rate",
        str(rate),
        "--connections",
        str(connections or (32 if rate else CONNECTIONS)),
        "--path",
        path,
    ]
    done = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, timeout=seconds + 60, check=True)
    data = json.loads(done.stdout.strip().splitlines()[-1])
    return {**data, "client_cpu": data["cpu_seconds"] / data["seconds"], "client": "python"}


def backlog(bench: Bench) -> int:
    """Stored webhooks no worker has applied yet."""
    from drip.extensions import db
    from drip.services.metrics_state import LANES
    from sqlalchemy import func, select

    with bench.stack.app().app_context():
        count = sum(
            db.session.scalar(select(func.count()).select_from(model).where(model.applied_at.is_(None))) or 0
            for model in LANES.values()
        )
        db.session.remove()
    return count


DRAIN_WINDOW = 30.0  # seconds a worker applies the stored backlog for its rate: long enough for a steady figure


def drain_rate(bench: Bench, env: dict) -> float:
    """Start one worker on what the runs stored; stored webhooks applied per second over DRAIN_WINDOW.

    What is left after the window is deleted, so the next run's backlog is its own: one worker routes
    texts far more slowly than the web stores them, and draining all of a run's texts took minutes."""
    workers = drip_workers(bench, env, 1)
    try:
        wait_registered(bench, workers)  # timed from here: a worker's start-up is not its rate
        pending, started = backlog(bench), time.monotonic()
        while backlog(bench) and time.monotonic() - started < DRAIN_WINDOW:
            time.sleep(0.5)
        left, elapsed = backlog(bench), time.monotonic() - started
    finally:
        for child in workers:
            child.stop()
    _forget_backlog(bench)
    return (pending - left) / elapsed


def _forget_backlog(bench: Bench) -> None:
    from drip.extensions import db
    from drip.services.metrics_state import LANES
    from sqlalchemy import delete

    with bench.stack.app().app_context():
        for model in LANES.values():
            db.session.execute(delete(model).where(model.applied_at.is_(None)))
        db.session.commit()
        db.session.remove()


def serve_and_load(
    bench: Bench, env: dict, bodies: Bodies, *, name: str, app_spec: str | None = None, worker: bool = False
) -> list[dict]:
    """Start gunicorn, warm up, then `runs` x (max throughput, fixed rate); peak RSS of its tree.

    No worker runs meanwhile: on 2 shared cores one routing texts would take CPU from the web, so the
    web's figures are the web's; with `worker`, one worker then applies what was stored, timed.
    """
    sizes, runs, path = bench.sizes, [], PATHS[bodies.kind]
    web, base = gunicorn(bench, env, name=name, app_spec=app_spec)
    try:
        with RssSampler({"web": [web.pid]}) as rss:
            loadgen(base, bodies.file(200), 1.0, rate=200, path=path)  # warm-up: imports, pools, first connections
            for _ in range(sizes.runs):
                heavy = bodies.file(int(sizes.ingest_seconds * MAX_RATE_GUESS[bodies.kind]))
                cpu_before = tree_cpu_seconds(web.pid)
                peak = (
                    wrk(base, heavy, sizes.ingest_seconds, path)
                    if shutil.which("wrk")
                    else loadgen(base, heavy, sizes.ingest_seconds, path=path)
                )
                # CPU per request does not depend on what else the machine is doing, unlike req/s
                peak["server_cpu_ms"] = (tree_cpu_seconds(web.pid) - cpu_before) / max(peak["requests"], 1) * 1000
                bodies.sent(peak["requests"])
                time.sleep(1.0)
                fixed = loadgen(
                    base,
                    bodies.file(int(sizes.ingest_fixed_seconds * sizes.ingest_fixed_rate) + 100),
                    sizes.ingest_fixed_seconds,
                    rate=sizes.ingest_fixed_rate,
                    path=path,
                )
                if worker:
                    peak["applied_rate"] = drain_rate(bench, env)
                runs.append({"max": peak, "fixed": fixed})
                bench.say(
                    f"  {name}: {peak['rate']:.0f} req/s p99 {peak['p99'] * 1000:.1f} ms "
                    f"cpu {peak['server_cpu_ms']:.2f} ms errors {peak['errors']}; at "
                    f"{sizes.ingest_fixed_rate:.0f}/s p99 {fixed['p99'] * 1000:.1f} ms errors {fixed['errors']}"
                    + (f"; applied {peak['applied_rate']:.0f}/s" if worker else "")
                )
                for leftover in bench.workdir.glob("bodies-*"):
                    leftover.unlink()
            runs[-1]["peak_rss"] = rss.peaks["web"]
    finally:
        web.stop()
    return runs


def _seed(bench: Bench, count: int):
    """A live session's learners (their texts are live questions), each with one SMS delivery already sent."""
    from drip.extensions import db
    from drip.models import Delivery
    from sqlalchemy import update

    with bench.stack.app().app_context():
        who = seed.audience(count, starts_at=utcnow() - timedelta(minutes=10))
        seed.deliveries(who, [utcnow()] * count)
        ids = db.session.scalars(db.select(Delivery.id).order_by(Delivery.id)).all()
        sids = [f"SM{delivery_id:032x}" for delivery_id in ids]
        for start in range(0, len(ids), 5000):
            db.session.execute(
                update(Delivery),
                [
                    {"id": i, "status": "sent", "provider_message_id": sid}
                    for i, sid in zip(ids[start : start + 5000], sids[start : start + 5000])
                ],
            )
        db.session.commit()
        db.session.remove()
    return [number for _, _, number in who.enrollments], sids


def measure(bench: Bench) -> list[Figure]:
    """Drip's webhooks (stored), the in-request design and the trivial ceiling; the rows of section 4."""
    sizes, stack = bench.sizes, bench.stack
    stack.reset()
    # Messages that exist for the first callbacks of every run (later ones name unknown messages,
    # which the stored design stores all the same and the in-request design looks up and skips).
    phones, sids = _seed(bench, min(SEEDED, int(sizes.runs * sizes.ingest_seconds * MAX_RATE_GUESS["status"])))
    env = stack.env(**twilio_env("http://127.0.0.1:9"))  # no outbound call happens; the token signs webhooks
    results: dict = {}
    for kind in ("status", "sms"):
        bodies = Bodies(kind, phones, sids, bench.workdir)
        bench.say(f"ingest {kind}: Drip, stored and applied by a worker")
        results[(kind, "drip")] = serve_and_load(bench, env, bodies, name=f"web-{kind}", worker=True)
        results[(kind, "inline")] = []
        if sizes.peers:
            bench.say(f"ingest {kind}: second baseline, the in-request design")
            results[(kind, "inline")] = serve_and_load(
                bench, env, bodies, name=f"web-{kind}-inline", app_spec=IN_REQUEST
            )
        bench.say(f"ingest {kind}: baseline, trivial Flask endpoint")
        results[(kind, "trivial")] = serve_and_load(
            bench, env, bodies, name=f"web-{kind}-trivial", app_spec="bench.trivial_app:create_app()"
        )
    bench.extras["ingest"] = {f"{k}/{d}": v for (k, d), v in results.items()}
    stack.reset()
    return [row for kind in ("status", "sms") for row in _figures(sizes, kind, results)]


def _figures(sizes, kind: str, results: dict) -> list[Figure]:
    drip, inline, trivial = (results[(kind, d)] for d in ("drip", "inline", "trivial"))
    label, second = "(trivial Flask)", "(in-request design)"
    what = "status callbacks" if kind == "status" else "inbound SMS"
    target = 1000 if kind == "status" else 500
    client = drip[0]["max"]["client"]
    rate = sizes.ingest_fixed_rate

    def row(name, unit, pick, goal="", meets=None, note=""):
        return Figure(
            "4",
            name,
            unit,
            [pick(r) for r in drip],
            [pick(r) for r in trivial],
            label,
            goal,
            meets,
            note,
            [pick(r) for r in inline],
            second,
        )

    return [
        row(
            f"{what}, max ({client}, {CONNECTIONS} conns, {sizes.ingest_seconds:.0f} s)",
            "req/s",
            lambda r: r["max"]["rate"],
            f">= {target:,}",
            lambda v, b: v >= target,
        ),
        row(f"{what} p99 at max", "ms", lambda r: r["max"]["p99"] * 1000),
        row(
            f"{what} p99 at {rate:.0f} req/s (fixed rate, {sizes.ingest_fixed_seconds:.0f} s)",
            "ms",
            lambda r: r["fixed"]["p99"] * 1000,
            "<= 50 ms",
            lambda v, b: v <= 50,
        ),
        Figure(
            "4",
            f"{what} errors (all runs)",
            "",
            [sum(r["max"]["errors"] + r["fixed"]["errors"] for r in drip)],
            [sum(r["max"]["errors"] + r["fixed"]["errors"] for r in trivial)],
            label,
            "0",
            lambda v, b: v == 0,
            "",
            [sum(r["max"]["errors"] + r["fixed"]["errors"] for r in inline)] if inline else [],
            second,
        ),
        row(
            f"{what}: web CPU per request at max",
            "ms",
            lambda r: r["max"]["server_cpu_ms"],
            "<= 1.5 ms",
            lambda v, b: v <= 1.5,
        ),
        Figure(
            "4",
            f"{what}: stored ones applied by one worker (after the load)",
            "/s",
            [r["max"]["applied_rate"] for r in drip],
            note="the in-request design applies them in the request",
        ),
    ]
