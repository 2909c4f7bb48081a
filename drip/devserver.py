"""`make run`: migrate, seed the demo, then web + worker on http://127.0.0.1:5000 until Ctrl-C."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from drip.config import instance_path


def _flask(*args: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "flask", "--app", "drip", *args], env=env, check=True)


def main() -> int:
    """Start everything a trainer needs to try Drip on one machine; stop it all on Ctrl-C."""
    env = dict(os.environ)
    if not env.get("REDIS_URL"):
        from drip.embedded import ensure_embedded_valkey

        # This process owns the embedded server; web and worker share it through REDIS_URL.
        env["REDIS_URL"] = ensure_embedded_valkey(instance_path())
    _flask("db", "upgrade", env=env)
    _flask("drip", "seed-demo", env=env)
    port = env.get("PORT", "5000")
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2",
         "--worker-class", "gevent", "--worker-connections", "1000", "--access-logfile", "-", "drip:create_app()"],
        env=env,
    )
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "drip", "drip", "worker"], env=env)
    children = [web, worker]
    print(f"\nDrip is running on http://127.0.0.1:{port}  (Ctrl-C stops it)\n", flush=True)

    def stop(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        print("A Drip process exited; stopping the others.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
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
