"""gunicorn reads this from the working directory: tidy the metrics of a web worker that exited."""


def child_exit(server, worker):
    """Forget the exited worker's live gauges (open board streams); its counters stay in the sums."""
    from drip.metrics import process_exited

    process_exited(worker.pid)
