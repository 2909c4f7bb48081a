"""Profile a Drip process while a measurement runs: `python -m bench.profile dispatch|lateness|ingest`.

Attaches py-spy (a dev dependency) to the first worker (or a gunicorn worker for ingest, `--kind
status|sms`), then prints where the samples fell: by own time and by inclusive
time. The collapsed stacks stay in the given --out file for a flame graph.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from bench.common import Bench, sizes_for
from bench.procs import stop_all, tree
from bench.stack import DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL, VENV_BIN, Stack


def py_spy(pid: int, seconds: float, out: Path, *, subprocesses: bool = False) -> subprocess.Popen:
    """Start sampling `pid` for `seconds` into a collapsed-stack file."""
    binary = shutil.which("py-spy", path=str(VENV_BIN)) or shutil.which("py-spy")
    if not binary:
        raise SystemExit("py-spy is not installed: make install")
    argv = [
        binary,
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(int(seconds)),
        "--rate",
        "200",
        "--format",
        "raw",
        "--output",
        str(out),
        "--nonblocking",
        "--gil",
    ]
    if subprocesses:
        argv.append("--subprocesses")
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def summary(collapsed: Path, top: int = 30) -> str:
    """Own and inclusive sample shares per function from py-spy's raw (collapsed) output."""
    own, inclusive, total = Counter(), Counter(), 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        frames = [
            f.split(" (")[0] + " (" + f.split(" (")[-1].split(":")[0].split("/")[-1] + ")"
            for f in stack.split(";")
            if f and not f.startswith(("process ", "thread "))
        ]
        if not frames:
            continue
        n = int(count)
        total += n
        own[frames[-1]] += n
        for frame in set(frames):
            inclusive[frame] += n
    lines = [f"{total} samples", "-- own time --"]
    lines += [f"{n / total:6.1%}  {name}" for name, n in own.most_common(top)]
    lines += ["-- inclusive --"] + [f"{n / total:6.1%}  {name}" for name, n in inclusive.most_common(top)]
    return "\n".join(lines)


def _profile_ingest(bench: Bench, options, spies: list) -> dict:
    """gunicorn as in the Procfile, py-spy on its first worker, wrk (or bench.loadgen) for --seconds."""
    from bench import ingest
    from bench.fleet import gunicorn
    from bench.provider import twilio_env

    bench.stack.reset()
    phones, sids = ingest._seed(bench, 2000)
    bodies = ingest.Bodies(options.kind, phones, sids, bench.workdir)
    path = ingest.PATHS[options.kind]
    web, base = gunicorn(bench, bench.stack.env(**twilio_env("http://127.0.0.1:9")))
    try:
        ingest.loadgen(base, bodies.file(300), 1.0, rate=200, path=path)  # warm-up
        heavy = bodies.file(int(options.seconds * ingest.MAX_RATE_GUESS[options.kind]))
        spies.append(py_spy(tree(web.pid)[1], options.seconds, options.out))
        if shutil.which("wrk"):
            return ingest.wrk(base, heavy, options.seconds, path)
        return ingest.loadgen(base, heavy, options.seconds, path=path)
    finally:
        web.stop()


def main(argv=None) -> int:
    """Run one measurement with a profiler attached; print the summary."""
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("what", choices=("dispatch", "ingest"))
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--kind", choices=("status", "sms"), default="status", help="ingest: which webhook")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--out", type=Path, default=Path("profile.collapsed"))
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    options = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="drip-profile-"))
    stack = Stack(options.database_url, options.redis_url, workdir)
    bench = Bench(stack, sizes_for(False, 1), workdir)
    spies: list[subprocess.Popen] = []
    try:
        stack.create()
        if options.what == "dispatch":
            from bench import dispatch

            def attach(workers):
                spies.append(py_spy(workers[0].pid, options.seconds, options.out, subprocesses=True))

            result = dispatch.drip_run(bench, options.messages, with_web=False, on_ready=attach)
            print(f"rate {result['rate']:.0f} msg/s, {result['cpu_per_1000']:.2f} CPU s per 1,000")
        else:
            print(_profile_ingest(bench, options, spies))
        for spy in spies:
            spy.wait(60)
        print(summary(options.out))
    finally:
        for spy in spies:
            if spy.poll() is None:
                spy.kill()
        stop_all()
        stack.drop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
