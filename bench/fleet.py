"""Starting the processes a measurement needs: fake provider, Drip or plain-RQ workers, gunicorn."""

from __future__ import annotations

import json
import re
import select
import shlex
import socket
import time
import urllib.request
from pathlib import Path

from rq import Worker

from bench.common import Bench
from bench.procs import BenchError, Child, wait_until
from bench.stack import ROOT, VENV_BIN

BASELINE_QUEUE = "bench-baseline"


class ProviderProcess:
    """`python -m bench.provider`: the fake Twilio in its own process; stop() returns what arrived."""

    def __init__(self, bench: Bench, name: str = "provider"):
        self.dump = bench.workdir / f"{name}-{time.monotonic_ns()}.json"
        argv = [
            str(VENV_BIN / "python"),
            "-m",
            "bench.provider",
            "--latency",
            str(bench.sizes.provider_latency),
            "--dump",
            str(self.dump),
        ]
        self.child = Child(name, argv, env=bench.stack.env(), cwd=ROOT, log_dir=bench.workdir, stdout_pipe=True)
        ready, _, _ = select.select([self.child.popen.stdout], [], [], 20)
        line = self.child.popen.stdout.readline().decode().strip() if ready else ""
        if not line.startswith("http://127.0.0.1:"):
            self.child.stop()
            raise BenchError(f"fake provider did not start: {line!r}\n{self.child.log_tail()}")
        self.url = line

    def stop(self) -> dict:
        """Stop it; {"accepted": [{"at", "to", "delivery_id"}...], "refused": n, "cpu_seconds": s}."""
        self.child.stop(timeout=20)
        if not self.dump.exists():
            raise BenchError(f"fake provider left no record:\n{self.child.log_tail()}")
        data = json.loads(self.dump.read_text())
        self.dump.unlink()
        return data


def drip_workers(bench: Bench, env: dict[str, str], count: int) -> list[Child]:
    """`flask --app drip drip worker`, `count` times, as the Procfile runs it."""
    argv = [str(VENV_BIN / "flask"), "--app", "drip", "drip", "worker"]
    return [Child(f"drip-worker-{i}", argv, env=env, cwd=ROOT, log_dir=bench.workdir) for i in range(count)]


def rq_workers(bench: Bench, env: dict[str, str], count: int, *, scheduler: bool = False) -> list[Child]:
    """Plain `rq worker` (RQ's default forking Worker) on the baseline queue."""
    argv = [
        str(VENV_BIN / "rq"),
        "worker",
        "--url",
        bench.stack.redis_url,
        "--path",
        str(ROOT),
        "-c",
        "bench.baseline_settings",
        BASELINE_QUEUE,
    ]
    if scheduler:
        argv.append("--with-scheduler")
    return [
        Child(
            f"rq-worker-{i}",
            argv + ["--name", f"bench-rq-{i}-{time.monotonic_ns()}"],
            env=env,
            cwd=ROOT,
            log_dir=bench.workdir,
        )
        for i in range(count)
    ]


def wait_registered(bench: Bench, children: list[Child], timeout: float = 60) -> None:
    """Wait until every worker process has registered with RQ (it is then taking jobs)."""

    def ready():
        for child in children:
            child.check()
        return Worker.count(connection=bench.stack.redis()) >= len(children)

    wait_until(ready, timeout=timeout, interval=0.2, what=f"{len(children)} workers to register with RQ")


def free_port() -> int:
    """A TCP port nobody listens on right now, on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def procfile_web(port: int, app_spec: str | None = None, procfile: Path = ROOT / "Procfile") -> list[str]:
    """The Procfile's `web:` command, on 127.0.0.1:port, optionally serving another app (the baseline)."""
    line = next(l for l in procfile.read_text().splitlines() if l.startswith("web:"))
    command = re.sub(r"\$\{(\w+):-([^}]*)\}", lambda m: str(port) if m[1] == "PORT" else m[2], line[4:].strip())
    argv = shlex.split(command)
    argv[0] = str(VENV_BIN / argv[0]) if (VENV_BIN / argv[0]).exists() else argv[0]
    argv = [a.replace("0.0.0.0:", "127.0.0.1:") for a in argv]  # traffic stays on this machine
    if app_spec:
        argv[-1] = app_spec
    return argv


def gunicorn(bench: Bench, env: dict[str, str], *, name: str = "web", app_spec: str | None = None) -> tuple[Child, str]:
    """Start gunicorn as the Procfile does; returns the process and its base URL once /healthz answers."""
    port = free_port()
    child = Child(name, procfile_web(port, app_spec), env=env, cwd=ROOT, log_dir=bench.workdir)
    base = f"http://127.0.0.1:{port}"

    def healthy():
        child.check()
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    wait_until(healthy, timeout=60, interval=0.2, what=f"{name} to answer /healthz")
    return child, base
