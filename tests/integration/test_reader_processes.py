"""gunicorn, run as the Procfile runs it, serves the cohort page from a reader worker of its own, at a lower CPU
priority, while its web worker answers the webhooks (drip/reader_processes.py, drip/web/reader_forward.py)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from drip.extensions import db
from drip.models import Reply
from drip.reader_processes import READER_NICENESS
from tests.conftest import ROOT
from tests.support.hosts import wait_until
from tests.web.test_cohort_page import _cohort, _form_token, _token


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _procfile_web(port: int) -> list[str]:
    """The Procfile's web command on 127.0.0.1:port, one web worker."""
    line = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:"))
    command = line[4:].replace("0.0.0.0:${PORT:-5000}", f"127.0.0.1:{port}").replace("${WEB_CONCURRENCY:-2}", "1")
    argv = shlex.split(command)
    assert argv[0] == "gunicorn"
    return [sys.executable, "-m", "gunicorn", *argv[1:]]


class Web:
    """The gunicorn master and what it runs."""

    def __init__(self, process: subprocess.Popen, port: int, log: Path):
        self.process, self.base, self.log = process, f"http://127.0.0.1:{port}", log

    def workers(self) -> dict[int, int]:
        """{pid: niceness} of the master's workers."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        found = {}
        for pid in map(int, children):
            try:
                found[pid] = os.getpriority(os.PRIO_PROCESS, pid)
            except ProcessLookupError:
                pass
        return found

    def reader(self) -> int | None:
        readers = [pid for pid, nice in self.workers().items() if nice == READER_NICENESS]
        return readers[0] if len(readers) == 1 else None

    def settled(self, seconds: float = 90) -> tuple[int, int]:
        """(reader pid, web pid) once there is exactly one of each, the reader listens and the web answers."""

        def one_of_each():
            workers = self.workers()
            niceness = sorted(workers.values())
            if niceness != [0, READER_NICENESS] or f"worker {self.reader()} reads for" not in self.log.read_text():
                return None
            try:
                if requests.get(self.base + "/healthz", timeout=2).status_code != 200:
                    return None
            except requests.RequestException:
                return None
            return self.reader(), next(pid for pid, nice in workers.items() if nice == 0)

        return wait_until(one_of_each, seconds, f"one reader and one web worker ({self.log.read_text()[-3000:]})")


@pytest.fixture(scope="module")
def web(app_config, _migrated, tmp_path_factory):
    if not Path("/proc/self/task").is_dir():
        pytest.skip("reads the workers from /proc")
    port, instance = _free_port(), tmp_path_factory.mktemp("reader-instance")
    env = {
        **os.environ,
        "DATABASE_URL": app_config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": app_config["REDIS_URL"],
        "SECRET_KEY": app_config["SECRET_KEY"],
        "PUBLIC_BASE_URL": app_config["PUBLIC_BASE_URL"],
        "DRIP_INSTANCE_PATH": str(instance),
        "DRIP_SMS_PROVIDER": "outbox",
        "DRIP_EMAIL_PROVIDER": "outbox",
        "DRIP_COHORT_READER_PROCESSES": "1",
    }
    log = instance / "gunicorn.log"
    with log.open("wb") as output:
        process = subprocess.Popen(_procfile_web(port), cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    served = Web(process, port, log)
    try:
        served.settled()
        yield served
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def _page(web: Web, token: str, timeout: float = 10) -> requests.Response:
    return requests.get(f"{web.base}/c/{token}", timeout=timeout)


def test_the_page_and_its_refreshes_are_read_by_the_reader_worker_and_nothing_else_waits_for_them(app, trainer, web):
    ts, step, (ada, ben, cy) = _cohort(trainer)
    db.session.commit()
    token = _token(ts, ada)
    assert "Ben&#39;s approved &lt;b&gt;answer&lt;/b&gt;" in _page(web, token, timeout=30).text
    refresh = requests.get(f"{web.base}/c/{token}/room.json", timeout=30)
    assert refresh.status_code == 200 and refresh.headers["ETag"]

    reader, _ = web.settled()
    os.kill(reader, signal.SIGSTOP)  # the reader worker busy for as long as it takes
    try:
        with pytest.raises(requests.Timeout):
            _page(web, token, timeout=1.5)  # the page waits for the reader worker
        with pytest.raises(requests.Timeout):
            requests.get(f"{web.base}/c/{token}/room.json", timeout=1.5)  # and so do its refreshes
        assert requests.get(f"{web.base}/healthz", timeout=5).status_code == 200
        missing = requests.get(f"{web.base}/sessions", timeout=5, allow_redirects=False)
        assert missing.status_code == 302  # the admin, as ever
    finally:
        os.kill(reader, signal.SIGCONT)
    assert _page(web, token, timeout=30).status_code == 200


def test_a_post_waits_for_the_reader_worker_and_is_stored_once(app, trainer, web):
    ts, step, (ada, ben, cy) = _cohort(trainer)
    db.session.commit()
    token = _token(ts, ada)

    def stored() -> list[str]:
        db.session.rollback()
        return db.session.scalars(select(Reply.body).where(Reply.learner_id == ada.id, Reply.session_id == ts.id)).all()

    reader, _ = web.settled()
    with requests.Session() as phone:
        form = _form_token(phone.get(f"{web.base}/c/{token}", timeout=30).text)
        os.kill(reader, signal.SIGSTOP)
        try:
            with pytest.raises(requests.Timeout):  # the reader worker has it, and cannot answer yet
                phone.post(
                    f"{web.base}/c/{token}/answers/{step.id}",
                    data={"body": "Naming the <i>behaviour</i>", "form_token": form},
                    timeout=1.5,
                )
            assert stored() == []
        finally:
            os.kill(reader, signal.SIGCONT)
        assert wait_until(lambda: stored() == ["Naming the <i>behaviour</i>"], 60, "the post stored")
        own = phone.get(f"{web.base}/c/{token}", timeout=30).text
    assert "Naming the &lt;i&gt;behaviour&lt;/i&gt;" in own
    assert stored() == ["Naming the <i>behaviour</i>"]  # once: nothing sent it again


def test_gunicorn_replaces_a_reader_worker_that_dies_and_keeps_one_after_a_reload(app, trainer, web):
    ts, step, (ada, ben, cy) = _cohort(trainer)
    db.session.commit()
    token = _token(ts, ada)
    reader, worker = web.settled()

    os.kill(reader, signal.SIGKILL)
    assert _page(web, token, timeout=60).status_code == 200  # waits for the new reader worker, or served here
    replaced, same = web.settled()
    assert replaced != reader and same == worker

    web.process.send_signal(signal.SIGHUP)  # a reload: a whole new set of workers
    wait_until(lambda: not set(web.workers()) & {replaced, same}, 60, "the old workers to stop")
    again, new = web.settled()
    assert {again, new}.isdisjoint({replaced, same})
    assert _page(web, token).status_code == 200


def test_one_worker_fewer_leaves_a_web_worker_which_serves_the_page_itself(app, trainer, web):
    """SIGTTOU stops the oldest worker, the reader or the web worker: whichever it was, the one left answers the
    public port (a reader left alone is replaced by a web worker), and with no reader listening the web worker
    serves the page itself; SIGTTIN starts a worker again, and it reads for the cohort page."""
    ts, step, (ada, ben, cy) = _cohort(trainer)
    db.session.commit()
    token = _token(ts, ada)
    web.settled()
    web.process.send_signal(signal.SIGTTOU)
    wait_until(lambda: list(web.workers().values()) == [0], 90, "one web worker left")
    page = _page(web, token, timeout=30)
    assert page.status_code == 200 and "Ben&#39;s approved" in page.text

    web.process.send_signal(signal.SIGTTIN)
    web.settled()
    assert _page(web, token, timeout=30).status_code == 200


def test_gunicorns_master_loads_none_of_what_the_gevent_workers_patch():
    """gunicorn.conf.py's hooks run in the master, which forks the gevent workers: a Flask (or SQLAlchemy,
    or gevent) loaded there before a worker patches threading dies noisily at each worker's exit."""
    probe = (
        "import runpy, sys\n"
        "hooks = runpy.run_path('gunicorn.conf.py')\n"
        "from drip import reader_processes\n"
        "reader_processes.wanted()\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert "drip" in loaded  # the probe did load the hooks
    assert not {"flask", "werkzeug", "jinja2", "sqlalchemy", "gevent", "redis"} & set(loaded)


def _waiting_connections(web: Web, reader: int) -> int:
    """Connections waiting to be accepted at the reader worker's socket (its listen queue, as `ss` shows it)."""
    found = re.search(rf"worker {reader} reads for the cohort page \(unix:(\S+)\)", web.log.read_text())
    assert found, web.log.read_text()[-2000:]
    listing = subprocess.run(["ss", "-xlH"], capture_output=True, text=True, check=True).stdout
    queued = [line.split()[2] for line in listing.splitlines() if f" {found[1]} " in line]
    return int(queued[0]) if queued else 0


@pytest.mark.skipif(shutil.which("ss") is None, reason="reads the reader's listen queue with ss (iproute2)")
def test_the_same_post_sent_twice_at_once_is_stored_once(app, trainer, web):
    """A double press, or the post sent again while the reader still held the first: both reach the reader
    together (it was stopped while they came) and run side by side; one is stored."""
    ts, step, (ada, ben, cy) = _cohort(trainer)
    db.session.commit()
    token = _token(ts, ada)
    reader, _ = web.settled()
    form = _form_token(requests.get(f"{web.base}/c/{token}", timeout=30).text)
    address, answers = f"{web.base}/c/{token}/answers/{step.id}", []

    def post():
        answers.append(requests.post(address, data={"body": "Twice", "form_token": form}, timeout=60).status_code)

    os.kill(reader, signal.SIGSTOP)
    try:
        posts = [threading.Thread(target=post) for _ in range(2)]
        for thread in posts:
            thread.start()
        wait_until(lambda: _waiting_connections(web, reader) >= 2 or None, 30, "both posts at the reader's socket")
    finally:
        os.kill(reader, signal.SIGCONT)
    for thread in posts:
        thread.join(timeout=60)
    assert answers == [200, 200]  # each followed the redirect to the page
    db.session.rollback()
    stored = db.session.scalars(select(Reply.body).where(Reply.learner_id == ada.id, Reply.step_id == step.id)).all()
    assert stored == ["Twice"]
