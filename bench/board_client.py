"""A trainer's board as a benchmark sees it: signed in over HTTP, the board's event stream read in a thread."""

from __future__ import annotations

import json
import re
import threading
import time

import requests

EMAIL, PASSWORD = "bench@example.com", "bench password"  # seed.trainer's


def signed_in(base: str) -> requests.Session:
    """A session signed in through the real login form (CSRF token included)."""
    session = requests.Session()
    # One connection per open board: a pool as large as the boards a benchmark opens.
    session.mount("http://", requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=512))
    page = session.get(base + "/login", timeout=10).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    response = session.post(
        base + "/login",
        data={"email": EMAIL, "password": PASSWORD, "csrf_token": token.group(1)},
        allow_redirects=False,
        timeout=10,
    )
    if response.status_code != 302:
        raise RuntimeError(f"bench login failed: {response.status_code}")
    return session


class Board:
    """One open board: records when each question's text first arrives on its stream (reconnecting as the page does)."""

    def __init__(self, session: requests.Session, base: str, session_id: int):
        self.url = f"{base}/sessions/{session_id}/board/events"
        self.session = session
        self.seen: dict[str, float] = {}
        self.connected = threading.Event()
        self.refused = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                with self.session.get(self.url, stream=True, timeout=(5, 30)) as response:
                    if response.status_code != 200:
                        self.refused += 1
                        time.sleep(1)
                        continue
                    self.connected.set()
                    for line in response.iter_lines(chunk_size=1):
                        if self._stop.is_set():
                            return
                        if line.startswith(b"data: "):
                            self._note(json.loads(line[6:]))
            except Exception:  # noqa: BLE001 - a stream cut (or closed by close()) reconnects, as the page does
                if self._stop.is_set():
                    return
                time.sleep(0.25)

    def _note(self, event: dict) -> None:
        now = time.monotonic()
        for question in [event["question"]] if "question" in event else event.get("questions", []):
            self.seen.setdefault(question["body"], now)

    def close(self) -> None:
        """Stop reading: the reader (a daemon thread) hangs up at the stream's next line, a heartbeat at most."""
        # Not response.close() from here: it waits for the reader's lock, up to a heartbeat per board.
        self._stop.set()
