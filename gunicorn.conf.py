"""gunicorn reads this from the working directory: warm each web worker up; tidy the metrics of one that exited."""


def post_worker_init(worker):
    """Before the worker takes a request: pay the first webhook's costs now (drip/web/warm_up.py)."""
    from drip.web.warm_up import warm_up

    if getattr(worker.wsgi, "import_name", None) == "drip":  # Drip's app, not another served here (bench baselines)
        warm_up(worker.wsgi)


def child_exit(server, worker):
    """Forget the exited worker's live gauges (open board streams); its counters stay in the sums."""
    from drip.metrics import process_exited

    process_exited(worker.pid)
