"""`make run` on a real terminal: Ctrl-C stops web, worker and Valkey without a traceback, and make exits 0."""

from __future__ import annotations

import fcntl
import os
import pty
import select
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
    # What a shell does for a foreground job: a session whose controlling terminal is the pty.
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


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
    port = _free_port()
    # Not the variables of a make that runs this suite (`make test`): the inner make would print
    # "Entering/Leaving directory" around what a user sees.
    dropped = ("DATABASE_URL", "REDIS_URL", "MAKELEVEL", "MAKEFLAGS", "MFLAGS")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(DRIP_INSTANCE_PATH=str(tmp_path / "instance"), PORT=str(port), DRIP_DEMO_MINUTES_PER_DAY="1")
    master, slave = pty.openpty()
    make = subprocess.Popen(
        ["make", "run"], cwd=ROOT, stdin=slave, stdout=slave, stderr=slave, env=env, preexec_fn=_controlling_terminal
    )
    os.close(slave)
    out = b""
    try:
        deadline = time.monotonic() + 90
        while b"Drip is running" not in out and time.monotonic() < deadline and make.poll() is None:
            out += _read(master, 0.5)
        assert b"Drip is running" in out, out.decode(errors="replace")[-2000:]
        out += _read(master, 1.5)  # gunicorn and the worker finish booting
        os.write(master, b"\x03")  # Ctrl-C typed on the terminal
        deadline = time.monotonic() + 45
        while make.poll() is None and time.monotonic() < deadline:
            out += _read(master, 0.5)
        out += _read(master, 0.3)
    finally:
        if make.poll() is None:
            make.kill()
        os.close(master)
    text = out.decode(errors="replace")
    assert make.returncode == 0, text[-2000:]
    assert "Traceback" not in text and "Error" not in text.split("Stopping Drip")[-1]
    assert text.rstrip().endswith("Drip stopped.")
