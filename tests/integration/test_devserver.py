"""`make run` on a real terminal: Ctrl-C stops web, worker and Valkey without a traceback, and make exits 0;
closing the terminal (or the foreground process dying) stops them too, within 10 s, port freed.

Each test signals through a pseudo-terminal as a person's terminal does, and whatever happens leaves
no process behind: every process carrying the test's instance path is killed at the end."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import shutil
import socket
import subprocess
import termios
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _controlling_terminal():
    # What a shell does for a foreground job: a session whose controlling terminal is the pty, with
    # Ctrl-C and hang-up at their defaults (this suite may run where they are ignored: nohup, `&`).
    for name in (signal.SIGINT, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(name, signal.SIG_DFL)
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _ours(instance: Path) -> list[int]:
    """The processes of this test's `make run`: those whose environment names its instance folder, and
    those working inside it (the embedded Valkey starts with an environment of its own)."""
    marker = f"DRIP_INSTANCE_PATH={instance}".encode() + b"\0"
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                inside = os.readlink(entry / "cwd").startswith(str(instance))
                if inside or marker in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def _alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def _parent(pid: int) -> int:
    try:
        return int((Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def _leave_nothing(instance: Path, make: subprocess.Popen | None) -> None:
    """Kill whatever of this make run is left, and reap make (an unreaped child warns when collected)."""
    for pid in _ours(instance):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    if make is not None:
        if make.poll() is None:
            make.kill()
        make.wait(timeout=10)


def _start(tmp_path: Path):
    """`make run` on a new pseudo-terminal, as a shell's foreground job; returns (make, master, port, instance, output)."""
    port = _free_port()
    instance = tmp_path / "instance"
    # Not the variables of a make that runs this suite (`make test`): the inner make would print
    # "Entering/Leaving directory" around what a user sees.
    dropped = ("DATABASE_URL", "REDIS_URL", "MAKELEVEL", "MAKEFLAGS", "MFLAGS")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(DRIP_INSTANCE_PATH=str(instance), PORT=str(port), DRIP_DEMO_MINUTES_PER_DAY="1")
    master, slave = pty.openpty()
    make = subprocess.Popen(
        ["make", "run"], cwd=ROOT, stdin=slave, stdout=slave, stderr=slave, env=env, preexec_fn=_controlling_terminal
    )
    os.close(slave)
    out = b""
    deadline = time.monotonic() + 90
    while b"Drip is running" not in out and time.monotonic() < deadline and make.poll() is None:
        out += _read(master, 0.5)
    assert b"Drip is running" in out, out.decode(errors="replace")[-2000:]
    while _port_free(port) and time.monotonic() < deadline and make.poll() is None:
        out += _read(master, 0.2)  # gunicorn takes the port
    while len(_ours(instance)) < 5 and time.monotonic() < deadline and make.poll() is None:
        out += _read(master, 0.2)  # make, the foreground process, the runner, web, worker, Valkey…
    out += _read(master, 1.0)  # and they finish booting
    return make, master, port, instance, out


def _read(master: int, seconds: float) -> bytes:
    got, end = b"", time.monotonic() + seconds
    while time.monotonic() < end:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                got += os.read(master, 65536)
            except OSError:
                break
    return got


@pytest.mark.skipif(
    shutil.which("make") is None or not (ROOT / ".venv/bin/python").exists(), reason="needs make and .venv"
)
def test_ctrl_c_stops_make_run_cleanly(tmp_path):
    make, master, port, instance = None, None, None, tmp_path / "instance"
    try:
        make, master, port, instance, out = _start(tmp_path)
        os.write(master, b"\x03")  # Ctrl-C typed on the terminal
        deadline = time.monotonic() + 45
        while make.poll() is None and time.monotonic() < deadline:
            out += _read(master, 0.5)
        out += _read(master, 0.3)
    finally:
        if make is not None and make.poll() is None:
            make.kill()
        if master is not None:
            os.close(master)
        left = [pid for pid in _ours(instance) if _alive(pid)]
        _leave_nothing(instance, make)
    text = out.decode(errors="replace")
    assert make.returncode == 0, text[-2000:]
    assert "Traceback" not in text and "Error" not in text.split("Stopping Drip")[-1]
    assert text.rstrip().endswith("Drip stopped.")
    assert left == [] and _port_free(port)


def _stops_within(instance: Path, port: int, seconds: float) -> list[int]:
    """Wait (with a deadline) until no process of this make run is alive and its port is free; what is left."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = [pid for pid in _ours(instance) if _alive(pid)]
        if not left and _port_free(port):
            return []
        time.sleep(0.2)
    return [pid for pid in _ours(instance) if _alive(pid)] or ["port still taken"]


@pytest.mark.skipif(
    shutil.which("make") is None or not (ROOT / ".venv/bin/python").exists(), reason="needs make and .venv"
)
def test_closing_the_terminal_stops_everything_within_ten_seconds(tmp_path):
    instance, make = tmp_path / "instance", None
    try:
        make, master, port, instance, _ = _start(tmp_path)
        assert len(_ours(instance)) >= 5  # make, the foreground process, the runner, web, worker, Valkey…
        os.close(master)  # the terminal window closes: SIGHUP to make's session and its foreground group
        assert _stops_within(instance, port, 10) == []
    finally:
        _leave_nothing(instance, make)


@pytest.mark.skipif(
    shutil.which("make") is None or not (ROOT / ".venv/bin/python").exists(), reason="needs make and .venv"
)
def test_the_foreground_process_dying_stops_everything(tmp_path):
    instance, master, make = tmp_path / "instance", None, None
    try:
        make, master, port, instance, _ = _start(tmp_path)
        # make run's foreground process: make's child (the runner below it has a session of its own).
        foreground = [pid for pid in _ours(instance) if _parent(pid) == make.pid]
        assert len(foreground) == 1
        os.kill(foreground[0], signal.SIGKILL)
        assert _stops_within(instance, port, 10) == []
    finally:
        if master is not None:
            os.close(master)
        _leave_nothing(instance, make)
