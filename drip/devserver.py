"""`make run`: migrate, seed the demo, then web + worker on http://127.0.0.1:5000 until Ctrl-C.

Ctrl-C reaches every process of the terminal's group at once; the worker and Valkey would then
die beside the web process mid-request and print tracebacks. So the processes run in a session of
their own, under a runner, and this foreground process only asks the runner to stop them in order:
web and worker first, the embedded Valkey last.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from drip.config import instance_path


def _flask(*args: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "flask", "--app", "drip", *args], env=env, check=True)


RUNNER = "DRIP_DEVSERVER_RUNNER"


def _interrupt(*_):
    raise KeyboardInterrupt


def _say(text: str) -> None:
    try:
        print(text, flush=True)
    except OSError:  # the terminal is gone (window closed): stopping matters more than saying so
        pass


def _take_terminal():
    """Make this process group the terminal's foreground, so Ctrl-C reaches us and not make.

    make killed by SIGINT prints an error and exits 130; this way it sees us exit 0. Returns the
    function that hands the terminal back.
    """
    try:
        fd = sys.stdin.fileno()
        if not os.isatty(fd) or os.getpgrp() != os.tcgetpgrp(fd) or os.getsid(0) == os.getpid():
            return lambda: None
        previous = os.tcgetpgrp(fd)
        os.setpgid(0, 0)
        signal.signal(signal.SIGTTOU, signal.SIG_IGN)  # changing the foreground from a new group sends SIGTTOU
        os.tcsetpgrp(fd, os.getpgrp())
    except (OSError, ValueError):
        return lambda: None

    def give_back() -> None:
        """Hand the terminal back to the group that had it (make), for the shell to take over."""
        try:
            os.tcsetpgrp(fd, previous)
        except OSError:
            pass

    return give_back


def main() -> int:
    """Start everything a trainer needs to try Drip on one machine; stop it all cleanly on Ctrl-C (exit 0)."""
    # Everything make run writes (SQLite, the secret key, Valkey's files) is readable by its owner only.
    os.umask(0o077)
    if os.environ.get(RUNNER):
        return run()
    signal.signal(signal.SIGTERM, _interrupt)
    give_back = _take_terminal()
    runner = subprocess.Popen(
        [sys.executable, "-m", "drip.devserver"], env={**os.environ, RUNNER: "1"}, start_new_session=True
    )
    try:
        return runner.wait()
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the shutdown short
        runner.send_signal(signal.SIGTERM)
        _say("\nStopping Drip…")
        try:
            runner.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(runner.pid, signal.SIGKILL)
        _say("Drip stopped.")
        return 0
    finally:
        give_back()


def run() -> int:
    """Migrate, seed, then serve web + worker until SIGTERM; the embedded Valkey stops last (atexit)."""
    signal.signal(signal.SIGTERM, _interrupt)
    env = dict(os.environ)
    env.pop(RUNNER, None)
    children: list[subprocess.Popen] = []
    try:
        if not env.get("REDIS_URL"):
            from drip.embedded import ensure_embedded_valkey

            # This process owns the embedded server; web and worker share it through REDIS_URL.
            env["REDIS_URL"] = ensure_embedded_valkey(instance_path())
        _flask("db", "upgrade", env=env)
        _flask("drip", "seed-demo", env=env)
        port = env.get("PORT", "5000")
        children.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    "2",
                    "--worker-class",
                    "gevent_pywsgi",
                    "--worker-connections",
                    "1000",
                    "--access-logfile",
                    "-",
                    "drip:create_app()",
                ],
                env=env,
            )
        )
        children.append(subprocess.Popen([sys.executable, "-m", "flask", "--app", "drip", "drip", "worker"], env=env))
        print(f"\nDrip is running on http://127.0.0.1:{port}  (Ctrl-C stops it)\n", flush=True)
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        print("A Drip process exited; stopping the others.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # SIGTERM from main()
        return 0
    except subprocess.CalledProcessError as failed:
        print(f"Drip could not start: {' '.join(failed.cmd[3:])} failed.", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()


if __name__ == "__main__":
    sys.exit(main())
