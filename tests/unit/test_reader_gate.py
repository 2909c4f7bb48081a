"""The reader gate: a few cohort-page requests in the app at once; the others wait, then 503; webhooks never wait."""

from __future__ import annotations

import threading
import time

from drip.web.reader_gate import ReaderGate

CONFIG = {"COHORT_READER_SLOTS": 2, "COHORT_READER_WAIT": 0.05, "COHORT_READER_RETRY_AFTER": 7}


class Held:
    """An app whose cohort-page requests stay inside until `let_go` is set; it counts who is inside."""

    def __init__(self):
        self.inside, self.let_go, self.changed = 0, threading.Event(), threading.Condition()

    def __call__(self, environ, start_response):
        if environ["PATH_INFO"].startswith("/c/"):
            with self.changed:
                self.inside += 1
                self.changed.notify_all()
            try:
                assert self.let_go.wait(timeout=30)
            finally:
                with self.changed:
                    self.inside -= 1
        if environ["PATH_INFO"] == "/c/broken":
            raise RuntimeError("the view failed")
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    def until_inside(self, count: int) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: self.inside == count, timeout=10), self.inside


def call(app, path: str, method: str = "GET") -> tuple[str, dict, bytes]:
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, dict(headers)

    body = b"".join(app({"PATH_INFO": path, "REQUEST_METHOD": method}, start_response))
    return seen["status"], seen["headers"], body


def readers_inside(gate, count: int, path: str = "/c/token/room.json") -> list:
    answers: list = []
    threads = [threading.Thread(target=lambda: answers.append(call(gate, path))) for _ in range(count)]
    for thread in threads:
        thread.start()
    return threads, answers


def test_a_reader_past_the_slots_waits_then_gets_503_with_retry_after_while_a_webhook_goes_straight_in():
    held = Held()
    gate = ReaderGate(held, CONFIG)
    threads, answers = readers_inside(gate, 2)
    held.until_inside(2)
    try:
        started = time.monotonic()
        status, headers, body = call(gate, "/c/token")
        assert status.startswith("503") and headers["Retry-After"] == "7"
        assert time.monotonic() - started >= CONFIG["COHORT_READER_WAIT"]  # it waited its turn first
        assert b'http-equiv="refresh" content="7; url=/c/token"' in body  # without a script, the page again
        assert headers["X-Robots-Tag"] == "noindex, nofollow" and "Content-Security-Policy" in headers
        assert held.inside == 2  # the third reader never reached the app
        started = time.monotonic()
        status, headers, body = call(gate, "/c/token/answers/3", "POST")
        assert status.startswith("503") and time.monotonic() - started >= 6 * CONFIG["COHORT_READER_WAIT"]
        assert b"Go back and send it again" in body and b"refresh" not in body  # what they wrote is not reloaded away
        status, headers, body = call(gate, "/c/token", "HEAD")  # a link checker: the head alone, even when busy
        assert status.startswith("503") and body == b"" and int(headers["Content-Length"]) > 0
        assert call(gate, "/webhooks/twilio/status")[0] == "200 OK"  # the slots are the readers' only
        assert call(gate, "/sessions/1")[0] == "200 OK"
    finally:
        held.let_go.set()
        for thread in threads:
            thread.join(timeout=10)
    assert [a[0] for a in answers] == ["200 OK", "200 OK"]
    assert call(gate, "/c/token")[0] == "200 OK"  # both slots came back


def test_a_waiting_reader_gets_the_first_slot_given_back():
    held = Held()
    gate = ReaderGate(held, CONFIG | {"COHORT_READER_WAIT": 30})
    threads, answers = readers_inside(gate, 3)
    held.until_inside(2)  # the third waits at the gate
    held.let_go.set()
    for thread in threads:
        thread.join(timeout=30)
    assert [a[0] for a in answers] == ["200 OK"] * 3


def test_a_failing_view_gives_its_slot_back():
    gate = ReaderGate(Held(), CONFIG | {"COHORT_READER_SLOTS": 1})
    gate.wsgi_app.let_go.set()
    for _ in range(3):
        try:
            call(gate, "/c/broken")
        except RuntimeError:
            pass
    assert call(gate, "/c/token")[0] == "200 OK"


def test_no_slots_configured_means_no_gate():
    held = Held()
    held.let_go.set()
    gate = ReaderGate(held, CONFIG | {"COHORT_READER_SLOTS": 0})
    assert call(gate, "/c/token")[0] == "200 OK" and gate._turns is None


def test_the_busy_page_reloads_the_cohort_page_itself_and_nothing_a_path_could_inject():
    gate = ReaderGate(Held(), CONFIG)
    assert b'content="7; url=/c/tok_en-1"' in gate.busy("/c/tok_en-1/answers/3")
    assert b'content="7; url=/c/tok"' in gate.busy("/c/tok/room.json")
    assert b'content="7">' in gate.busy('/c/"><script>x</script>') and b"<script>x" not in gate.busy("/c/<script>x")


GEVENT_ORDER = """
from gevent import monkey
monkey.patch_all()
import json, sys, gevent
from gevent.lock import BoundedSemaphore
from drip.web.reader_gate import ReaderGate

order = []

def app(environ, start_response):
    order.append(environ["PATH_INFO"])
    start_response("200 OK", [])
    return [b"ok"]

gate = ReaderGate(app, {"COHORT_READER_SLOTS": 2, "COHORT_READER_WAIT": 30, "COHORT_READER_RETRY_AFTER": 5})
calls = [gevent.spawn(gate, {"PATH_INFO": f"/c/t/{n}"}, lambda *a: None) for n in range(3)]
calls.append(gevent.spawn(gate, {"PATH_INFO": "/webhooks/twilio/status"}, lambda *a: None))
gevent.joinall(calls, timeout=30)
print(json.dumps({"order": order, "gevent_slots": isinstance(gate.turns(), BoundedSemaphore)}))
"""


def test_under_gevent_the_readers_let_in_give_way_to_a_webhook_that_came_after_them():
    """Three readers arrive, then a webhook: the webhook is served first, the readers after."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", GEVENT_ORDER], cwd=root, capture_output=True, text=True, timeout=120, check=True
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["gevent_slots"] and result["order"][0] == "/webhooks/twilio/status"
    assert sorted(result["order"][1:]) == ["/c/t/0", "/c/t/1", "/c/t/2"]
