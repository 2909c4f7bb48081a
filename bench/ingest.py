"""4. Webhook ingest: signed inbound SMS posts against gunicorn as the Procfile runs it.

Every post is a distinct, correctly signed Twilio inbound SMS (X-Twilio-Signature over
PUBLIC_BASE_URL + path) from a learner of a live session, so each one is stored and becomes a live
question on the board. Max throughput: wrk (one thread, 16 connections; the Python client if wrk is
absent). Fixed rate: bench.loadgen, latency from each request's due time. Baseline: a trivial Flask
endpoint under the same gunicorn command (the ceiling).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from bench import seed
from bench.common import Bench, Figure
from bench.fleet import gunicorn
from bench.procs import RssSampler, tree_cpu_seconds
from bench.provider import FROM_NUMBER, twilio_env
from bench.stack import PUBLIC_BASE_URL, ROOT, VENV_BIN
from drip.models import utcnow
from fakes.provider_apis import ACCOUNT_SID, AUTH_TOKEN

PATH = "/webhooks/twilio/sms"
CONNECTIONS = 16  # gunicorn's 2 workers x 8 threads
MAX_RATE_GUESS = 2500  # bodies per second of load to prepare, so none is sent twice


def write_bodies(path: Path, count: int, phones: list[str]) -> Path:
    """`count` distinct signed webhook bodies, one `signature<TAB>body` per line."""
    validator, url = RequestValidator(AUTH_TOKEN), PUBLIC_BASE_URL + PATH
    with open(path, "w") as out:
        for i in range(count):
            sid = "SM" + uuid.uuid4().hex
            params = {"MessageSid": sid, "SmsSid": sid, "AccountSid": ACCOUNT_SID, "From": phones[i % len(phones)],
                      "To": FROM_NUMBER, "Body": f"Question {i}: how do I give feedback to someone senior?",
                      "NumMedia": "0", "NumSegments": "1"}
            out.write(f"{validator.compute_signature(url, params)}\t{urlencode(params)}\n")
    return path


def wrk(base: str, bodies: Path, seconds: float) -> dict:
    """Closed-loop maximum with wrk; its own CPU from wait4."""
    argv = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s", "--timeout", "5s",
            "-s", str(ROOT / "bench" / "wrk_bodies.lua"), base + PATH, "--", str(bodies)]
    with open(bodies.with_suffix(".wrk.out"), "w+") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            proc.returncode = 0  # already reaped by wait4
        out.seek(0)
        text = out.read()
    line = next((l for l in text.splitlines() if l.startswith("WRK_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {text[-500:]}")
    data = json.loads(line[len("WRK_JSON "):])
    duration = data["duration_us"] / 1e6
    errors = sum(data[k] for k in ("status_errors", "connect_errors", "read_errors", "write_errors", "timeouts"))
    return {"rate": data["requests"] / duration, "p50": data["p50_us"] / 1e6, "p99": data["p99_us"] / 1e6,
            "errors": errors, "requests": data["requests"], "client_cpu": (usage.ru_utime + usage.ru_stime) / duration,
            "client": "wrk"}


def loadgen(base: str, bodies: Path, seconds: float, rate: float = 0.0) -> dict:
    """bench.loadgen in its own process: a fixed rate, or closed loop when rate is 0."""
    argv = [str(VENV_BIN / "python"), "-m", "bench.loadgen", base, str(bodies), "--seconds", str(seconds),
            "--rate", str(rate), "--connections", str(32 if rate else CONNECTIONS)]
    done = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, timeout=seconds + 60, check=True)
    data = json.loads(done.stdout.strip().splitlines()[-1])
    return {**data, "client_cpu": data["cpu_seconds"] / data["seconds"], "client": "python"}


def serve_and_load(bench: Bench, env: dict, phones: list[str], *, app_spec: str | None, name: str) -> list[dict]:
    """Start gunicorn, warm it up, then `runs` x (max throughput, fixed rate); peak RSS of its tree."""
    sizes, runs = bench.sizes, []
    web, base = gunicorn(bench, env, name=name, app_spec=app_spec)
    try:
        with RssSampler({"web": [web.pid]}) as rss:
            bodies = lambda seconds, rate: write_bodies(  # noqa: E731
                bench.workdir / f"bodies-{uuid.uuid4().hex[:8]}.txt", int(seconds * rate) + 100, phones)
            loadgen(base, bodies(1.0, 200), 1.0, rate=200)  # warm-up: imports, pools, first connections
            for _ in range(sizes.runs):
                heavy = bodies(sizes.ingest_seconds, MAX_RATE_GUESS)
                cpu_before = tree_cpu_seconds(web.pid)
                peak = wrk(base, heavy, sizes.ingest_seconds) if shutil.which("wrk") else \
                    loadgen(base, heavy, sizes.ingest_seconds)
                # CPU per request does not depend on what else the machine is doing, unlike req/s
                peak["server_cpu_ms"] = (tree_cpu_seconds(web.pid) - cpu_before) / max(peak["requests"], 1) * 1000
                time.sleep(1.0)  # let queued work drain before the fixed-rate run
                fixed = loadgen(base, bodies(sizes.ingest_fixed_seconds, sizes.ingest_fixed_rate),
                                sizes.ingest_fixed_seconds, rate=sizes.ingest_fixed_rate)
                runs.append({"max": peak, "fixed": fixed})
                bench.say(f"  {name}: {peak['rate']:.0f} req/s p99 {peak['p99'] * 1000:.1f} ms errors {peak['errors']}; "
                          f"at {sizes.ingest_fixed_rate:.0f}/s p99 {fixed['p99'] * 1000:.1f} ms errors {fixed['errors']}")
                for path in bench.workdir.glob("bodies-*"):
                    path.unlink()
            runs[-1]["peak_rss"] = rss.peaks["web"]
    finally:
        web.stop()
    return runs


def measure(bench: Bench) -> list[Figure]:
    """Drip's webhook and the trivial baseline, each `runs` times; the rows of section 4."""
    sizes, stack = bench.sizes, bench.stack
    stack.reset()
    with stack.app().app_context():  # learners of a session that is live now: each text is a live question
        who = seed.audience(1000, starts_at=utcnow() - timedelta(minutes=10))
    phones = [number for _, _, number in who.enrollments]
    env = stack.env(**twilio_env("http://127.0.0.1:9"))  # no outbound call happens; the token signs webhooks
    bench.say(f"ingest: Drip webhook, {sizes.runs} x ({sizes.ingest_seconds:.0f} s max, "
              f"{sizes.ingest_fixed_seconds:.0f} s at {sizes.ingest_fixed_rate:.0f}/s)")
    drip = serve_and_load(bench, env, phones, app_spec=None, name="web")
    bench.say("ingest: baseline, trivial Flask endpoint")
    base = serve_and_load(bench, env, phones, app_spec="bench.trivial_app:create_app()", name="web-trivial")
    bench.extras["ingest"] = {"drip": drip, "baseline": base}
    stack.reset()
    client = drip[0]["max"]["client"]
    label = "(trivial Flask, same gunicorn)"
    rate = sizes.ingest_fixed_rate
    return [
        Figure("4", f"webhook ingest, max ({client}, {CONNECTIONS} conns, {sizes.ingest_seconds:.0f} s)", "req/s",
               [r["max"]["rate"] for r in drip], [r["max"]["rate"] for r in base], label, ">= 500",
               lambda v, b: v >= 500),
        Figure("4", "ingest p50 at max", "ms", [r["max"]["p50"] * 1000 for r in drip],
               [r["max"]["p50"] * 1000 for r in base], label),
        Figure("4", "ingest p99 at max", "ms", [r["max"]["p99"] * 1000 for r in drip],
               [r["max"]["p99"] * 1000 for r in base], label),
        Figure("4", f"ingest p99 at {rate:.0f} req/s (fixed rate, {sizes.ingest_fixed_seconds:.0f} s)", "ms",
               [r["fixed"]["p99"] * 1000 for r in drip], [r["fixed"]["p99"] * 1000 for r in base], label,
               "<= 50 ms", lambda v, b: v <= 50),
        Figure("4", "ingest errors (all runs)", "", [sum(r["max"]["errors"] + r["fixed"]["errors"] for r in drip)],
               [sum(r["max"]["errors"] + r["fixed"]["errors"] for r in base)], label, "0", lambda v, b: v == 0),
        Figure("4", "web CPU per request at max (gunicorn workers)", "ms", [r["max"]["server_cpu_ms"] for r in drip],
               [r["max"]["server_cpu_ms"] for r in base], label),
        Figure("4", f"load generator CPU at max ({client})", "% core", [r["max"]["client_cpu"] * 100 for r in drip],
               [r["max"]["client_cpu"] * 100 for r in base], label),
    ]
