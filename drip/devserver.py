"""`make run`: migrate, seed the demo, then web + worker on http://127.0.0.1:5000 until Ctrl-C.

Ctrl-C reaches every process of the terminal's group at once; the worker and Valkey would then
die beside the web process mid-request and print tracebacks. So the processes run in a session of
their own, under a runner, and this foreground process only asks the runner to stop them in order:
web and worker first, the embedded Valkey last.

Closing the terminal (SIGHUP) stops everything the same way, and so does this foreground process
dying any other way: the runner watches it and stops on its own, so nothing keeps port 5000.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time

from drip.config import instance_path


def _flask(*args: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "flask", "--app", "drip", *args], env=env, check=True)


RUNNER = "DRIP_DEVSERVER_RUNNER"
POLL_SECONDS = 0.5


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


def _hangup_watch():
    """A check that says whether this process's terminal hung up (its window closed).

    Closing the window sends SIGHUP to the shell and to make, but not to this process: it left make's
    process group to take the terminal, and make, hung up, only waits for it. The terminal itself
    says so, though: it reports a hang-up to anyone polling it.
    """
    try:
        fd = sys.stdin.fileno()
        if not os.isatty(fd):
            return lambda: False
        watch = select.poll()
        watch.register(fd, 0)  # hang-ups and errors are always reported; ask for nothing else
    except (OSError, ValueError):
        return lambda: False
    return lambda: any(events & (select.POLLHUP | select.POLLERR | select.POLLNVAL) for _, events in watch.poll(0))


def main() -> int:
    """Start everything a trainer needs to try Drip on one machine; stop it all cleanly on Ctrl-C (exit 0)."""
    # Everything make run writes (SQLite, the secret key, Valkey's files) is readable by its owner only.
    os.umask(0o077)
    if os.environ.get(RUNNER):
        return run(int(os.environ[RUNNER]))
    # Ctrl-C, a closed terminal and a polite kill all stop Drip, even when started with SIGINT ignored
    # (a shell's background job without job control, nohup): whoever types Ctrl-C here means it.
    for stop in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(stop, _interrupt)
    give_back = _take_terminal()
    runner = subprocess.Popen(
        [sys.executable, "-m", "drip.devserver"], env={**os.environ, RUNNER: str(os.getpid())}, start_new_session=True
    )
    hung_up = _hangup_watch()
    try:
        while True:
            try:
                return runner.wait(timeout=POLL_SECONDS)
            except subprocess.TimeoutExpired:
                if hung_up():
                    raise KeyboardInterrupt from None
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


def _orphaned(parent: int) -> bool:
    """Whether the foreground process that started this runner is gone (we were handed to another parent)."""
    return os.getppid() != parent


def run(parent: int = 0) -> int:
    """Migrate, seed, then serve web + worker until SIGTERM or until `parent` (make run's foreground
    process) is gone; the embedded Valkey stops last (atexit)."""
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
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
                    "--graceful-timeout",  # open board streams must not hold the stop past a few seconds
                    "3",
                    "--access-logfile",
                    "-",
                    "drip:create_app()",
                ],
                env=env,
            )
        )
        children.append(subprocess.Popen([sys.executable, "-m", "flask", "--app", "drip", "drip", "worker"], env=env))
        _say(f"\nDrip is running on http://127.0.0.1:{port}  (Ctrl-C or closing this terminal stops it)\n")
        while all(child.poll() is None for child in children):
            if parent and _orphaned(parent):
                return 0  # the terminal's process died without a word: stop as if it had asked
            time.sleep(POLL_SECONDS)
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
