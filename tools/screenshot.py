"""README's picture of the admin, taken from the real thing: `python -m tools.screenshot [docs/admin.png]`.

Starts `make run`'s server (drip.devserver) on a free port with a fresh instance folder and the
embedded defaults, signs in as the demo trainer in Debian's chromium, waits until the demo session is
started and its live prompt has gone out (it starts four minutes after launch), and saves the session
page as a trainer sees it at 1280 px. Everything it started is stopped at the end, also on failure.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

PASSWORD = "screenshot-demo-password"
CHROMIUM = os.environ.get("DRIP_CHROMIUM", "/usr/bin/chromium")
LIVE_DEADLINE = 420.0  # the demo session starts 4 minutes after launch


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_serving(base: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/login", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("the server did not answer in time")


def _shoot(base: str, target: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(viewport={"width": 1280, "height": 820}, timezone_id="America/New_York")
        page.goto(f"{base}/login")
        page.fill("input[name=email]", "demo@drip.local")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.goto(f"{base}/sessions")
        page.get_by_role("link", name="Giving feedback that lands (demo)").first.click()
        deadline = time.monotonic() + LIVE_DEADLINE
        at_start = page.locator("tr", has_text="Live prompt, at start")
        while not at_start.locator('[data-count="sent"], [data-count="delivered"]').count():
            if time.monotonic() > deadline:
                raise SystemExit("the demo session did not go live in time")
            time.sleep(5)
            page.reload()
        page.screenshot(path=str(target))
        browser.close()


def main(argv: list[str]) -> int:
    target = Path(argv[0] if argv else "docs/admin.png").resolve()
    port = _free_port()
    instance = tempfile.mkdtemp(prefix="drip-screenshot-")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(PORT=str(port), DRIP_INSTANCE_PATH=instance, DRIP_DEMO_PASSWORD=PASSWORD)
    server = subprocess.Popen(
        [sys.executable, "-m", "drip.devserver"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until_serving(base, time.monotonic() + 120)
        _shoot(base, target)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
    print(f"saved {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
