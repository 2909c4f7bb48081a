"""Child processes of a benchmark: own process group, measured through /proc, always stopped."""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Callable

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
_running: list["Child"] = []


class BenchError(RuntimeError):
    """A measurement could not be taken (a process died, a deadline passed)."""


def wait_until(condition: Callable[[], object], *, timeout: float, interval: float = 0.1, what: str = "condition"):
    """Poll `condition` until it returns something truthy; BenchError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise BenchError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


class Child:
    """One child process in its own session, its output in a log file; stop() ends its whole group."""

    def __init__(
        self, name: str, argv: list[str], *, env: dict[str, str], cwd: Path, log_dir: Path, stdout_pipe: bool = False
    ):
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = open(self.log_path, "wb")
        self.popen = subprocess.Popen(
            argv,
            env=env,
            cwd=cwd,
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if stdout_pipe else self._log,
            stderr=self._log,
        )
        self.pid = self.popen.pid
        _running.append(self)

    def alive(self) -> bool:
        """True while the process runs."""
        return self.popen.poll() is None

    def check(self) -> None:
        """Raise BenchError with the end of its log if the process has died."""
        if not self.alive():
            raise BenchError(f"{self.name} exited with {self.popen.returncode}:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        """The last lines the process wrote."""
        self._log.flush()
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM the group, then SIGKILL it if it has not gone within `timeout` seconds."""
        if self.alive():
            _signal_group(self.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                _signal_group(self.pid, signal.SIGKILL)
                self.popen.wait(5)
        _signal_group(self.pid, signal.SIGKILL)  # stragglers left in the group (forked horses)
        if self.popen.stdout:
            self.popen.stdout.close()
        self._log.close()
        if self in _running:
            _running.remove(self)
        return self.popen.returncode


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def stop_all() -> None:
    """Stop every child still running (at exit, on SIGTERM/SIGINT)."""
    for child in list(_running):
        child.stop(timeout=5)


atexit.register(stop_all)


def _stat_fields(pid: int) -> list[str] | None:
    try:
        data = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return data[data.rindex(")") + 2 :].split()  # fields from 3 (state) on


def _all_parents() -> dict[int, int]:
    parents = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields:
                parents[int(entry.name)] = int(fields[1])
    return parents


def tree(pid: int) -> list[int]:
    """`pid` and all its live descendants."""
    parents = _all_parents()
    found, frontier = [pid], [pid]
    while frontier:
        frontier = [child for child, parent in parents.items() if parent in frontier]
        found.extend(frontier)
    return found


def tree_cpu_seconds(pid: int) -> float:
    """User+system CPU of a process and all its descendants, live or already reaped."""
    total = 0
    for member in tree(pid):
        fields = _stat_fields(member)
        if fields:  # utime stime cutime cstime are fields 14-17; reaped children are in cutime/cstime
            total += sum(int(x) for x in fields[11:15])
    return total / CLOCK_TICKS


def niced_cpu_seconds(pid: int) -> float:
    """User+system CPU of the live processes of a tree that run at a niceness above 0 (gunicorn's reader workers)."""
    total = 0
    for member in tree(pid):
        fields = _stat_fields(member)
        if fields and int(fields[16]) > 0:  # nice is field 19
            total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def rss_bytes(pid: int) -> int:
    """Resident set size of one process now (0 if gone)."""
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_SIZE
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0


class RssSampler:
    """Samples the RSS of process trees in a thread; keeps each tree's peak (sum of its processes)."""

    def __init__(self, roots: dict[str, list[int]], interval: float = 0.2):
        self.roots, self.interval = roots, interval
        self.peaks = {name: 0 for name in roots}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="rss-sampler")

    def __enter__(self) -> "RssSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            for name, pids in self.roots.items():
                # Per group the largest single tree: e.g. the busiest of two workers with its horses.
                size = max((sum(rss_bytes(p) for p in tree(pid)) for pid in pids), default=0)
                self.peaks[name] = max(self.peaks[name], size)
            self._stop.wait(self.interval)


class MachineLoad:
    """How busy the machine was during a span, and how much of that was not this process tree.

    PostgreSQL and Redis serve the benchmark but are not its children, so "others" includes them;
    a figure taken while others used most of the 2 cores is not this code's speed.
    """

    def __init__(self) -> None:
        self.start = self._now()

    @staticmethod
    def _now() -> tuple[float, float, float]:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        busy = sum(fields) - fields[3] - fields[4]  # all but idle and iowait
        return time.monotonic(), busy / CLOCK_TICKS, tree_cpu_seconds(os.getpid())

    def summary(self) -> dict[str, float]:
        """Seconds elapsed, cores busy on average, cores used by processes outside this tree, load average."""
        (t0, busy0, own0), (t1, busy1, own1) = self.start, self._now()
        span = max(t1 - t0, 1e-9)
        return {
            "seconds": span,
            "busy_cores": (busy1 - busy0) / span,
            "other_cores": max(0.0, (busy1 - busy0) - (own1 - own0)) / span,
            "loadavg": float(Path("/proc/loadavg").read_text().split()[0]),
        }
