"""The cohort page's readers get gunicorn workers of their own, at a lower CPU priority than the webhooks'.

Five hundred phones with the cohort page open cost the web a few milliseconds of CPU each time one
opens the page. Served by the processes that also answer Twilio and SendGrid, each of those stretches
runs in the same gevent loop as the webhooks: a status callback whose database read has answered
waits for the reader running then (bench/README.md, section 10). Giving way inside the loop (the
reader gate) shortens the wait; it cannot remove it.

So gunicorn runs `DRIP_COHORT_READER_PROCESSES` more workers (1 unless set; 0 serves readers in the
web workers, as before) that listen on a private Unix socket instead of the public port, with a
niceness of READER_NICENESS: whenever a webhook and a reader both want a core, the kernel runs the
webhook. The web workers pass every /c/ request on to them (web.reader_forward) and, while none is
reachable (starting, restarting), serve it themselves. gunicorn's arbiter keeps them as it keeps
every worker: it restarts one that dies or stops answering, and stops them with the rest.

This module runs in gunicorn's master (its hooks, from gunicorn.conf.py) and imports nothing of the
app: the master must not import what the gevent workers patch after they fork.
"""

from __future__ import annotations

import os
import shutil
import tempfile

READER_NICENESS = 10  # added to a reader worker's niceness: about a tenth of a core when a webhook wants it too
WEB, READER = "web", "reader"
SOCKET_NAME = "readers.sock"

# Set in each worker as it forks (post_fork): which it is, and where the readers listen.
_role: str | None = None
_socket: str | None = None


def role() -> str | None:
    """This process's part: WEB, READER, or None outside gunicorn (the dev server's tests, flask CLI)."""
    return _role


def socket_path() -> str | None:
    """Where this web's reader workers listen, or None when there are none."""
    return _socket


def wanted() -> int:
    """How many reader workers each gunicorn runs (DRIP_COHORT_READER_PROCESSES, default 1)."""
    try:
        return max(int(os.environ.get("DRIP_COHORT_READER_PROCESSES", "1")), 0)
    except ValueError:
        raise SystemExit("DRIP_COHORT_READER_PROCESSES must be a whole number (0 serves readers in the web workers)")


def start(server) -> None:
    """when_ready: open the readers' socket in a folder only this user can enter, and count their workers in."""
    if wanted() == 0 or getattr(server.app, "app_uri", "") != "drip:create_app()":
        return  # off, or another app served by this gunicorn (the benchmarks' baselines)
    from gunicorn.sock import UnixSocket

    folder = tempfile.mkdtemp(prefix="drip-readers-")  # mode 0700
    server.drip_readers = UnixSocket(os.path.join(folder, SOCKET_NAME), server.cfg, server.log)
    server.drip_reader_epoch = 0
    _add_readers(server)
    server.log.info(
        "cohort page readers: %d worker(s) on %s, niceness +%d", wanted(), server.drip_readers, READER_NICENESS
    )


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
    """pre_fork, in the master: a new worker reads for the cohort page while fewer than wanted() do."""
    listener = getattr(server, "drip_readers", None)
    epoch = getattr(server, "drip_reader_epoch", 0)
    readers = sum(1 for w in server.WORKERS.values() if getattr(w, "drip_role", WEB) == READER and w.age > epoch)
    worker.drip_role = READER if listener is not None and readers < wanted() else WEB


def take_part(server, worker) -> None:
    """post_fork, in the new worker before it loads the app: a reader listens on the readers' socket only, at a
    lower priority; a web worker keeps the public port and remembers where the readers are."""
    global _role, _socket
    listener = getattr(server, "drip_readers", None)
    if listener is None:
        return
    _socket = listener.cfg_addr
    _role = getattr(worker, "drip_role", WEB)
    if _role == READER:
        for public in worker.sockets:
            public.close()  # this process never accepts there
        worker.sockets = [listener]
        os.nice(READER_NICENESS)
        server.log.info("worker %s reads for the cohort page", os.getpid())
    else:
        listener.close()  # the web workers connect to it, they never accept on it


def stop(server) -> None:
    """on_exit: remove the readers' socket and its folder."""
    listener = getattr(server, "drip_readers", None)
    if listener is not None:
        listener.close()
        shutil.rmtree(os.path.dirname(listener.cfg_addr), ignore_errors=True)
