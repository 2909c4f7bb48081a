"""gunicorn reads this from the working directory: the cohort page's reader workers (drip/reader_processes.py),
each web worker warmed up, the metrics of one that exited tidied."""

from drip import reader_processes


def when_ready(server):
    """The master is listening: open the readers' socket and count their workers in."""
    reader_processes.start(server)


def on_reload(server):
    """SIGHUP: the new set of workers has its readers too."""
    reader_processes.reloaded(server)


def pre_fork(server, worker):
    """In the master: this new worker serves the webhooks and the admin, or the cohort page's readers."""
    reader_processes.assign(server, worker)


def post_fork(server, worker):
    """In the new worker, before it loads the app: a reader gives up the public port and its priority."""
    reader_processes.take_part(server, worker)


def post_worker_init(worker):
    """Before the worker takes a request: pay the first webhook's costs now (drip/web/warm_up.py); a reader
    worker starts listening."""
    from drip.web.warm_up import warm_up

    if getattr(worker.wsgi, "import_name", None) == "drip":  # Drip's app, not another served here (bench baselines)
        warm_up(worker.wsgi)
    reader_processes.listen(worker)


def child_exit(server, worker):
    """Forget the exited worker's live gauges (open board streams); its counters stay in the sums. A web worker
    always runs (SIGTTOU stops the oldest worker, which may be the last web worker)."""
    from drip.metrics import process_exited

    process_exited(worker.pid)
    reader_processes.exited(server, worker)


def on_exit(server):
    """The master stops: remove the readers' socket."""
    reader_processes.stop(server)
