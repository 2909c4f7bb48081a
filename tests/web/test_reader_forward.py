"""A web worker passes cohort pages and posts on to the reader workers over their Unix socket, and copes when
none answers; room refreshes and everything else stay in the web worker (drip/web/reader_forward.py)."""

from __future__ import annotations

import io
import os
import socket
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

from drip import reader_processes
from drip.web.reader_forward import (
    ForwardReaders,
    FromTheWeb,
    ReaderFailed,
    parse_answer,
    request_bytes,
)
from drip.web.reader_gate import ReaderGate

GATE_CONFIG = {"COHORT_READER_SLOTS": 2, "COHORT_READER_WAIT": 5, "COHORT_READER_RETRY_AFTER": 5}


class ReaderSocket:
    """A stand-in reader worker on a Unix socket: records each request, answers `answer` (bytes) and closes."""

    def __init__(self, path: str, answer: bytes):
        self.answer, self.requests = answer, []
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        self.listener.listen(8)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            with connection:
                received = b""
                while b"\r\n\r\n" not in received:
                    received += connection.recv(65536)
                head, _, body = received.partition(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length")
                    ),
                    0,
                )
                while len(body) < length:
                    body += connection.recv(65536)
                self.requests.append((head.decode("latin-1"), body))
                connection.sendall(self.answer)

    def close(self) -> None:
        self.listener.close()


def _environ(method: str, path: str, body: bytes = b"", **headers: str) -> dict:
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "REMOTE_ADDR": "203.0.113.7",
        "wsgi.input": io.BytesIO(body),
        "HTTP_HOST": "drip.example.com",
    }
    if body:
        environ["CONTENT_LENGTH"] = str(len(body))
        environ["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
    environ.update({f"HTTP_{name.upper()}": value for name, value in headers.items()})
    return environ


class Here:
    """The web worker's own app: what reached it, and its answer."""

    def __init__(self):
        self.calls = []

    def __call__(self, environ, start_response):
        self.calls.append((environ["PATH_INFO"], environ["wsgi.input"].read()))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"served here"]


def _call(app, environ) -> tuple[str, dict, bytes]:
    seen = {}

    def start_response(status, headers):
        seen["status"], seen["headers"] = status, dict(headers)

    body = b"".join(app(environ, start_response))
    return seen["status"], seen["headers"], body


@pytest.fixture()
def socket_path(tmp_path):
    return str(tmp_path / "readers.sock")


def test_the_request_goes_as_it_came_with_the_learners_address_and_without_hop_by_hop_headers():
    environ = _environ(
        "POST",
        "/c/tok/answers/3",
        b"body=Hi&form_token=x",
        ACCEPT_LANGUAGE="fr",
        CONNECTION="keep-alive",
        X_DRIP_CLIENT="198.51.100.1",  # a learner cannot say where they are
        COOKIE="a=b",
    )
    environ["RAW_URI"] = "/c/tok/answers/3?x=%C3%A9"
    message = request_bytes(environ, b"body=Hi&form_token=x")
    head, _, body = message.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")

    assert lines[0] == "POST /c/tok/answers/3?x=%C3%A9 HTTP/1.0"
    assert "accept-language: fr" in lines and "cookie: a=b" in lines and "host: drip.example.com" in lines
    assert "content-length: 20" in lines and "content-type: application/x-www-form-urlencoded" in lines
    assert [line for line in lines if line.lower().startswith("x-drip-client")] == ["X-Drip-Client: 203.0.113.7"]
    assert "connection: close" in lines and "connection: keep-alive" not in lines
    assert body == b"body=Hi&form_token=x"


def test_the_answer_is_passed_back_without_this_hops_headers():
    status, headers, body = parse_answer(
        b"HTTP/1.1 303 SEE OTHER\r\nLocation: /c/tok\r\nDate: x\r\nServer: gevent\r\nConnection: close\r\n"
        b"Set-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\nmoved"
    )
    assert status == "303 SEE OTHER"
    assert headers == [("Location", "/c/tok"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")]
    assert body == b"moved"
    cut_short = b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n<!doctype html>"  # the reader died sending it
    for broken in (b"", b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n", b"garbage\r\n\r\n", cut_short):
        with pytest.raises(ReaderFailed):
            parse_answer(broken)
    assert parse_answer(b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n", "HEAD")[2] == b""  # a HEAD's length
    assert parse_answer(b"HTTP/1.1 304 NOT MODIFIED\r\nContent-Length: 500\r\n\r\n")[0] == "304 NOT MODIFIED"


def test_a_page_and_a_post_are_answered_by_the_reader_worker(socket_path):
    reader = ReaderSocket(socket_path, b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 6\r\n\r\nreader")
    here = Here()
    app = ForwardReaders(here, ReaderGate(here, GATE_CONFIG), (socket_path,))
    try:
        assert _call(app, _environ("GET", "/c/tok"))[2] == b"reader"
        status, headers, body = _call(app, _environ("POST", "/c/tok/questions/4/vote", b"form_token=x"))
    finally:
        reader.close()
    assert (status, headers["Content-Length"], body) == ("200 OK", "6", b"reader")
    assert [head.split("\r\n")[0] for head, _ in reader.requests] == [
        "GET /c/tok HTTP/1.0",
        "POST /c/tok/questions/4/vote HTTP/1.0",
    ]
    assert reader.requests[1][1] == b"form_token=x"
    assert here.calls == []


def test_webhooks_and_the_admin_stay_in_the_web_worker_room_refreshes_go(socket_path):
    reader = ReaderSocket(socket_path, b'HTTP/1.1 304 NOT MODIFIED\r\nETag: "r"\r\n\r\n')
    here = Here()
    app = ForwardReaders(here, ReaderGate(here, GATE_CONFIG), (socket_path,))
    try:
        for path in ("/webhooks/twilio/status", "/sessions/1", "/cohort"):
            assert _call(app, _environ("GET", path))[2] == b"served here"
        status, headers, body = _call(app, _environ("GET", "/c/tok/room.json", IF_NONE_MATCH='"r"'))
    finally:
        reader.close()
    assert [path for path, _ in here.calls] == ["/webhooks/twilio/status", "/sessions/1", "/cohort"]
    assert (status, headers, body) == ("304 NOT MODIFIED", {"ETag": '"r"'}, b"")
    assert 'if-none-match: "r"' in reader.requests[0][0].split("\r\n")


def test_with_no_reader_listening_the_web_worker_serves_the_request_body_and_all(socket_path):
    here = Here()
    app = ForwardReaders(here, ReaderGate(here, GATE_CONFIG), (socket_path,))  # nothing at socket_path

    assert _call(app, _environ("POST", "/c/tok/answers/3", b"body=Kept"))[2] == b"served here"
    assert here.calls == [("/c/tok/answers/3", b"body=Kept")]


def test_a_reader_that_fails_a_post_is_not_sent_it_again_the_learner_is_asked_to(socket_path):
    reader = ReaderSocket(socket_path, b"")  # took the request, answered nothing (killed)
    here = Here()
    app = ForwardReaders(here, ReaderGate(here, GATE_CONFIG), (socket_path,))
    try:
        status, headers, body = _call(app, _environ("POST", "/c/tok/answers/3", b"body=Maybe", ACCEPT_LANGUAGE="es"))
        page = _call(app, _environ("GET", "/c/tok"))
    finally:
        reader.close()
    assert status.startswith("503") and headers["Cache-Control"] == "no-store"
    assert b'lang="es"' in body and b"http-equiv" not in body  # stays put: the learner goes back and sends it
    # the reader may have stored it before it died: the page does not say it was not sent, and sending it again is
    # safe (a post repeated within minutes is stored once: tests/web/test_cohort_page.py)
    assert "puede que lo que enviaste no haya llegado" in body.decode() and "Aún no enviado" not in body.decode()
    assert page[2] == b"served here"  # a page is safe to serve here
    assert here.calls == [("/c/tok", b"")]
    assert len(reader.requests) == 2


def test_the_reader_worker_sees_the_learners_address():
    seen = []
    app = FromTheWeb(lambda environ, start_response: seen.append(environ["REMOTE_ADDR"]) or [])
    app({"REMOTE_ADDR": "", "HTTP_X_DRIP_CLIENT": "203.0.113.7"}, None)
    assert seen == ["203.0.113.7"]


def test_an_interim_100_continue_is_not_the_answer_and_expect_is_not_passed_on():
    status, headers, body = parse_answer(
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 303 SEE OTHER\r\nLocation: /c/t\r\n\r\n"
    )
    assert (status, headers, body) == ("303 SEE OTHER", [("Location", "/c/t")], b"")
    message = request_bytes(_environ("POST", "/c/tok/answers/3", b"body=x", EXPECT="100-continue"), b"body=x")
    assert b"expect" not in message.lower()


def test_a_body_over_the_limit_is_refused_here_unread(socket_path):
    reader = ReaderSocket(socket_path, b"HTTP/1.1 200 OK\r\n\r\nreader")
    here = Here()
    app = ForwardReaders(here, ReaderGate(here, GATE_CONFIG), (socket_path,))
    environ = _environ("POST", "/c/tok/answers/3")
    environ["CONTENT_LENGTH"] = str(10**7)  # BodyDeadline left it unread: Flask answers 413 without reading it
    try:
        assert _call(app, environ)[2] == b"served here"
    finally:
        reader.close()
    assert reader.requests == []


def test_a_reader_that_does_not_answer_in_time_is_given_up(socket_path):
    silent = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    silent.bind(socket_path)
    silent.listen(8)  # takes the connection, never answers
    here = Here()
    app = ForwardReaders(here, ReaderGate(here, GATE_CONFIG), (socket_path,), timeout=0.3)
    try:
        vote = _call(app, _environ("POST", "/c/tok/questions/4/vote", b"form_token=x&want=on"))
        page = _call(app, _environ("GET", "/c/tok"))
    finally:
        silent.close()
    assert vote[0].startswith("503") and here.calls == [("/c/tok", b"")]
    assert page[2] == b"served here"


def test_the_next_reader_worker_takes_the_request_when_one_is_not_listening(tmp_path):
    gone, there = str(tmp_path / "reader-0.sock"), str(tmp_path / "reader-1.sock")
    reader = ReaderSocket(there, b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nreader")
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(gone)  # its socket file is left, nothing listens
    here = Here()
    app = ForwardReaders(here, ReaderGate(here, GATE_CONFIG), (gone, there))
    try:
        answers = [_call(app, _environ("GET", "/c/tok"))[2] for _ in range(4)]
    finally:
        reader.close()
        dead.close()
    assert answers == [b"reader"] * 4 and here.calls == []


def _server(workers: dict, total: int, epoch: int = 0):
    return SimpleNamespace(drip_readers="/tmp/x", drip_reader_epoch=epoch, WORKERS=workers, num_workers=total)


def _spawn(server, pid: int, age: int) -> SimpleNamespace:
    worker = SimpleNamespace(age=age, pid=pid)
    reader_processes.assign(server, worker)
    server.WORKERS[pid] = worker
    return worker


def test_gunicorn_keeps_as_many_reader_workers_as_wanted_each_in_its_slot(monkeypatch):
    monkeypatch.setenv("DRIP_COHORT_READER_PROCESSES", "2")
    server = _server({}, total=4)
    started = [_spawn(server, pid, pid) for pid in (1, 2, 3, 4)]
    assert [(w.drip_role, w.drip_slot) for w in started] == [("reader", 0), ("reader", 1), ("web", None), ("web", None)]

    del server.WORKERS[1]  # the first reader died: its replacement takes its slot
    assert (_spawn(server, 5, 5).drip_role, server.WORKERS[5].drip_slot) == ("reader", 0)

    # SIGHUP: new workers start before the old ones stop; the old readers' slots are free again
    server.drip_reader_epoch = 5
    renewed = [_spawn(server, pid, pid) for pid in (6, 7, 8, 9)]
    assert [(w.drip_role, w.drip_slot) for w in renewed] == [("reader", 0), ("reader", 1), ("web", None), ("web", None)]


def test_a_web_worker_always_runs_however_few_workers_gunicorn_is_given(monkeypatch):
    monkeypatch.setenv("DRIP_COHORT_READER_PROCESSES", "1")
    server = _server({}, total=1)
    assert _spawn(server, 1, 1).drip_role == "web"  # one worker only: it serves everything
    server.num_workers = 2
    assert _spawn(server, 2, 2).drip_role == "reader"


def test_no_reader_workers_when_they_are_turned_off(monkeypatch):
    monkeypatch.setenv("DRIP_COHORT_READER_PROCESSES", "0")
    assert _spawn(_server({}, total=3), 1, 1).drip_role == "web"
    monkeypatch.setenv("DRIP_COHORT_READER_PROCESSES", "two")
    with pytest.raises(SystemExit, match="whole number"):
        reader_processes.wanted()


def test_one_worker_fewer_never_leaves_only_readers(monkeypatch):
    monkeypatch.setenv("DRIP_COHORT_READER_PROCESSES", "1")
    stopped = []
    server = _server({}, total=2)
    server.kill_worker = lambda pid, sig: stopped.append(pid)
    server.log = SimpleNamespace(info=lambda *args: None)
    reader, web = _spawn(server, 1, 1), _spawn(server, 2, 2)
    assert (reader.drip_role, web.drip_role) == ("reader", "web")

    server.num_workers = 1  # SIGTTOU culled the web worker: the reader alone would answer nothing
    del server.WORKERS[2]
    reader_processes.exited(server, web)
    assert stopped == [1]
    del server.WORKERS[1]
    reader_processes.exited(server, reader)  # the reader stopped: replaced, as a web worker
    assert stopped == [1] and _spawn(server, 3, 3).drip_role == "web"

    server.num_workers = 2  # SIGTTIN, then SIGTTOU culling the reader: the web worker serves the pages itself
    added = _spawn(server, 4, 4)
    assert added.drip_role == "reader"
    server.num_workers = 1
    del server.WORKERS[4]
    reader_processes.exited(server, added)
    assert stopped == [1]


def test_a_web_worker_out_of_file_descriptors_serves_the_page_itself(socket_path, monkeypatch):
    reader = ReaderSocket(socket_path, b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nreader")
    here = Here()
    app = ForwardReaders(here, ReaderGate(here, GATE_CONFIG), (socket_path,))

    def no_more(*args, **kwargs):
        raise OSError(24, "Too many open files")

    monkeypatch.setattr(socket, "socket", no_more)
    try:
        page = _call(app, _environ("GET", "/c/tok"))
    finally:
        monkeypatch.undo()
        reader.close()
    assert page[2] == b"served here" and reader.requests == []


def test_a_head_gets_no_body_from_a_reader_or_a_busy_web_worker(socket_path, monkeypatch):
    reader = ReaderSocket(socket_path, b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nreader")
    here = Here()
    app = ForwardReaders(here, ReaderGate(here, GATE_CONFIG), (socket_path,))
    try:
        passed_on = _call(app, _environ("HEAD", "/c/tok"))
        app._waiting = SimpleNamespace(acquire=lambda blocking: False)  # as many forwards waiting as it keeps
        busy = _call(app, _environ("HEAD", "/c/tok"))
    finally:
        reader.close()
    assert passed_on[0] == "200 OK" and passed_on[2] == b""
    assert busy[0].startswith("503") and busy[2] == b"" and int(busy[1]["Content-Length"]) > 0


def test_a_post_may_wait_in_the_reader_as_long_as_its_gate_lets_it(app, monkeypatch):
    from drip.web import reader_forward

    monkeypatch.setattr(reader_processes, "_role", reader_processes.WEB)
    monkeypatch.setattr(reader_processes, "_sockets", ("/nowhere/reader-0.sock",))
    gate = app.extensions["drip_reader_gate"]
    monkeypatch.setattr(gate, "wait", 7.0)
    wrapped = SimpleNamespace(wsgi_app=lambda environ, start_response: [], extensions=app.extensions)
    reader_forward.init_app(wrapped)
    assert wrapped.wsgi_app.timeout == 7.0 * 6 + 10  # a post waits up to six times a reader's wait for a turn


def test_readers_stay_in_the_web_workers_when_gunicorn_serves_tls(monkeypatch):
    monkeypatch.setenv("DRIP_COHORT_READER_PROCESSES", "1")
    warned = []
    server = SimpleNamespace(
        app=SimpleNamespace(app_uri=reader_processes.APP),
        cfg=SimpleNamespace(preload_app=False, is_ssl=True),
        log=SimpleNamespace(warning=warned.append),
    )
    reader_processes.start(server)
    assert getattr(server, "drip_readers", None) is None and "TLS" in warned[0]


def test_the_readers_folder_is_where_gunicorn_keeps_its_workers_files(tmp_path, monkeypatch):
    """--worker-tmp-dir is a folder gunicorn's --user can enter by design (its heartbeat files live there)."""
    import gunicorn.config

    monkeypatch.setenv("DRIP_COHORT_READER_PROCESSES", "1")
    cfg = gunicorn.config.Config()
    cfg.set("worker_tmp_dir", str(tmp_path))
    cfg.set("workers", 2)
    server = SimpleNamespace(
        app=SimpleNamespace(app_uri=reader_processes.APP),
        cfg=cfg,
        log=SimpleNamespace(info=lambda *args: None),
    )
    killed, alive, elsewhere = (tmp_path / f"drip-readers-{pid}-x" for pid in (999_999_999, os.getpid(), 999_999_998))
    for left in (killed, alive, elsewhere):
        left.mkdir()
    (killed / "reader-0.sock").touch()  # a master killed with SIGKILL left its folder and a socket file
    listening = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listening.bind(str(elsewhere / "reader-0.sock"))  # a master in another pid namespace sharing the folder
    listening.listen(1)
    try:
        reader_processes.start(server)
        folder = Path(server.drip_readers)
        assert folder.parent == tmp_path and folder.stat().st_mode & 0o777 == 0o700
        assert folder.name.startswith(f"drip-readers-{os.getpid()}-")
        assert server.num_workers == 3  # the web's two, and a reader
        assert not killed.exists() and alive.exists() and elsewhere.exists()
    finally:
        listening.close()
        reader_processes.stop(server)
    assert not folder.exists()


def test_a_reader_that_cannot_listen_logs_it_and_gunicorn_goes_on(monkeypatch):
    import gunicorn.sock

    def refused(path, cfg, log):
        raise PermissionError(13, "Permission denied", path)  # e.g. a folder the worker's user cannot enter

    monkeypatch.setattr(gunicorn.sock, "UnixSocket", refused)
    monkeypatch.setattr(reader_processes, "_role", reader_processes.READER)
    monkeypatch.setattr(reader_processes, "_sockets", ("/tmp/drip-readers-x/reader-0.sock",))
    errors = []
    worker = SimpleNamespace(
        drip_slot=0, sockets=[], cfg=None, log=SimpleNamespace(error=lambda *args: errors.append(args))
    )
    reader_processes.listen(worker)  # raised in post_worker_init, it would stop gunicorn's master, webhooks and all
    assert worker.sockets == [] and "cannot read for the cohort page" in errors[0][0]
