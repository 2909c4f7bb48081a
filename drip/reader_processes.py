"""The cohort page's readers get gunicorn workers of their own, at a lower CPU priority than the webhooks'.

Five hundred phones with the cohort page open cost the web a few milliseconds of CPU each time one
opens the page. Served by the processes that also answer Twilio and SendGrid, each of those stretches
runs in the same gevent loop as the webhooks: a status callback whose database read has answered
waits for the reader running then (bench/README.md, section 10). Giving way inside the loop (the
reader gate) shortens the wait; it cannot remove it.

So gunicorn runs `DRIP_COHORT_READER_PROCESSES` more workers (1 unless set; 0 serves readers in the
web workers, as before). Each listens on a Unix socket of its own in a folder only Drip's user can
enter, instead of the public port, at a niceness of READER_NICENESS: when a webhook and a reader both
want a core, the webhook gets three times the reader's share. The web workers pass cohort pages
and posts on to them (web.reader_forward) and serve them themselves while none listens (one restarting,
or culled by SIGTTOU). gunicorn's arbiter keeps them as it keeps every worker: it replaces one that
exits or stops beating, starts a new set on SIGHUP, and stops them with the rest.

This module runs in gunicorn's master (its hooks, from gunicorn.conf.py). It imports nothing of the
app but the package (Flask itself): the master must not import what the gevent workers patch after
they fork.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile

# Added to a reader worker's niceness: a third of a webhook's share of a core when both want it. +10 (a tenth)
# made the page's p95 beside webhooks 185 ms (target 150) for little more: bench/README.md, section 10.
READER_NICENESS = 5
WEB, READER = "web", "reader"
APP = "drip:create_app()"
FOLDER_PREFIX = "drip-readers-"  # then the master's pid

# Set in each worker as it forks (post_fork): which it is, and where the readers listen.
_role: str | None = None
_sockets: tuple[str, ...] = ()


def role() -> str | None:
    """This process's part: WEB, READER, or None outside gunicorn (tests, the flask CLI, the workers)."""
    return _role


def sockets() -> tuple[str, ...]:
    """Where this web's reader workers listen (one socket each), or () when there are none."""
    return _sockets


def wanted() -> int:
    """How many reader workers each gunicorn runs (DRIP_COHORT_READER_PROCESSES, default 1)."""
    from drip.config import cohort_reader_processes

    return cohort_reader_processes()


def socket_path(folder: str, slot: int) -> str:
    return os.path.join(folder, f"reader-{slot}.sock")


def start(server) -> None:
    """when_ready: make the readers' folder, only this user's (and gunicorn's --user's), and count them in."""
    if wanted() == 0 or getattr(server.app, "app_uri", "") != APP:
        return  # off, or another app served by this gunicorn (the benchmarks' baselines)
    if server.cfg.preload_app:  # the app made in the master would not know its part: readers would idle
        server.log.warning("cohort page readers stay in the web workers: gunicorn runs with --preload")
        return
    if server.cfg.is_ssl:  # gunicorn's gevent worker would serve TLS on the readers' sockets too: none would answer
        server.log.warning("cohort page readers stay in the web workers: gunicorn serves TLS itself (--certfile)")
        return
    # Mode 0700, where gunicorn keeps its workers' heartbeat files (--worker-tmp-dir), which its --user can enter
    # by design; else the temporary folder. Named after this master, so the next one can tidy a killed one's.
    parent = server.cfg.worker_tmp_dir or tempfile.gettempdir()
    _remove_left_behind(parent)
    folder = tempfile.mkdtemp(prefix=f"{FOLDER_PREFIX}{os.getpid()}-", dir=parent)
    os.chown(folder, server.cfg.uid, server.cfg.gid)
    server.drip_readers = folder
    server.drip_reader_epoch = 0
    _add_readers(server)
    server.log.info("cohort page readers: %d worker(s) in %s, niceness +%d", wanted(), folder, READER_NICENESS)


def _remove_left_behind(parent: str) -> None:
    """Remove the readers' folders of masters that are gone without their on_exit (killed: SIGKILL, out of memory)."""
    if not os.path.isdir("/proc/self"):
        return  # no /proc to say which masters are gone
    try:
        names = [name for name in os.listdir(parent) if name.startswith(FOLDER_PREFIX)]
    except OSError:
        return
    for name in names:
        pid, folder = name[len(FOLDER_PREFIX) :].split("-", 1)[0], os.path.join(parent, name)
        if pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
            if not _answering(folder):  # a master in another pid namespace sharing this folder is not gone
                shutil.rmtree(folder, ignore_errors=True)  # another user's fails: left alone


def _answering(folder: str) -> bool:
    """Whether a reader worker listens at one of the sockets in `folder`."""
    import socket

    try:
        paths = [os.path.join(folder, name) for name in os.listdir(folder) if name.endswith(".sock")]
    except OSError:
        return False
    for path in paths:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            if probe.connect_ex(path) == 0:
                return True
    return False


def reloaded(server) -> None:
    """on_reload (SIGHUP): gunicorn re-read --workers and starts that many new workers before it stops the
    old ones; the readers are counted in again, and only the new ones count as readers from now on."""
    if getattr(server, "drip_readers", None) is None:
        return
    server.drip_reader_epoch = server.worker_age
    _add_readers(server)


def _add_readers(server) -> None:
    server.cfg.set("workers", server.cfg.workers + wanted())
    server.num_workers = server.cfg.workers


def assign(server, worker) -> None:
    """pre_fork, in the master: a new worker reads for the cohort page, in the first free slot, while fewer than
    wanted() do and at least one web worker is running; else it is a web worker."""
    worker.drip_role, worker.drip_slot = WEB, None
    if getattr(server, "drip_readers", None) is None:
        return
    epoch = server.drip_reader_epoch
    current = [w for w in server.WORKERS.values() if w.age > epoch]
    taken = {w.drip_slot for w in current if getattr(w, "drip_role", WEB) == READER}
    webs = sum(1 for w in current if getattr(w, "drip_role", WEB) == WEB)
    if len(taken) < wanted() and (webs > 0 or server.num_workers - len(current) > 1):
        worker.drip_role, worker.drip_slot = READER, min(set(range(wanted())) - taken)


def take_part(server, worker) -> None:
    """post_fork, in the new worker before it loads the app: a reader gives up the public port and its priority;
    a web worker remembers where the readers are."""
    global _role, _sockets
    folder = getattr(server, "drip_readers", None)
    if folder is None:
        return
    _sockets = tuple(socket_path(folder, slot) for slot in range(wanted()))
    _role = getattr(worker, "drip_role", WEB)
    if _role == READER:
        for public in worker.sockets:
            public.close()  # this process never accepts there
        worker.sockets = []
        os.nice(READER_NICENESS)


def listen(worker) -> None:
    """post_worker_init, once the app is loaded: a reader starts listening on its own socket. Not before: until
    then, and once it is gone, nothing listens there and the web workers serve its requests themselves."""
    if _role != READER:
        return
    import socket

    from gunicorn.sock import UnixSocket

    path = _sockets[worker.drip_slot]
    try:
        bound = UnixSocket(path, worker.cfg, worker.log)  # replaces the socket file of the worker it follows
    except OSError as error:  # raised here, it would stop gunicorn, webhooks and all
        worker.log.error(
            "worker %s cannot read for the cohort page at %s (%s): the web workers serve it", os.getpid(), path, error
        )
        return
    worker.sockets = [socket.socket(socket.AF_UNIX, socket.SOCK_STREAM, fileno=bound.sock.detach())]
    worker.log.info("worker %s reads for the cohort page (unix:%s)", os.getpid(), path)


def exited(server, worker) -> None:
    """child_exit, in the master: a worker stopped for good (SIGTTOU culls the oldest) must not leave only readers,
    which never answer the public port: the youngest reader is stopped too, and its replacement is a web worker."""
    if getattr(server, "drip_readers", None) is None or len(server.WORKERS) < server.num_workers:
        return  # off, or it will be replaced (assign picks the replacement's part)
    current = [w for w in server.WORKERS.values() if w.age > server.drip_reader_epoch]
    readers = [w for w in current if getattr(w, "drip_role", WEB) == READER]
    if readers and len(readers) == len(current):
        youngest = max(readers, key=lambda w: w.age)
        server.log.info("no web worker left: reader worker %s stops, a web worker takes its place", youngest.pid)
        server.kill_worker(youngest.pid, signal.SIGTERM)


def stop(server) -> None:
    """on_exit: remove the readers' folder and their sockets."""
    folder = getattr(server, "drip_readers", None)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
