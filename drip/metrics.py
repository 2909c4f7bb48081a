"""Prometheus metrics in prometheus_client's multiprocess mode: every gunicorn worker and every Drip
worker process writes its own files, and `/metrics` (any web process) sums them at each scrape.

State that lives in the database or Redis (deliveries by status, the webhook backlog, queue depth)
is read at scrape time instead of counted, so it is right whichever process answers and after any
restart. prometheus_client picks its multiprocess value class when it is first imported, from
PROMETHEUS_MULTIPROC_DIR: `init_app` sets that first (instance/metrics unless set), so nothing in
Drip imports prometheus_client at module level.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

from flask import Flask, g, request

WEBHOOK_BLUEPRINTS = {"webhooks_status", "webhooks_inbound"}
_metrics: SimpleNamespace | None = None
_lock = threading.Lock()
_logger = logging.getLogger(__name__)
_FILE_PID = re.compile(r"_(\d+)\.db$")


def metrics_dir(instance_path: str | os.PathLike) -> Path:
    """Where this machine's processes keep their metric files (PROMETHEUS_MULTIPROC_DIR when set)."""
    return Path(os.environ.get("PROMETHEUS_MULTIPROC_DIR") or Path(instance_path) / "metrics")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def forget_dead(folder: Path) -> None:
    """Drop the live gauges (open streams) of processes that are gone; their counters stay counted."""
    from prometheus_client import multiprocess

    pids = {int(m.group(1)) for f in folder.glob("gauge_live*.db") if (m := _FILE_PID.search(f.name))}
    for pid in pids:
        if not _alive(pid):
            multiprocess.mark_process_dead(pid, str(folder))


def process_exited(pid: int) -> None:
    """Forget a process's live gauges (gunicorn's child_exit hook calls this for each web worker)."""
    from prometheus_client import multiprocess

    from drip.config import instance_path

    folder = metrics_dir(instance_path())
    if folder.is_dir():
        multiprocess.mark_process_dead(pid, str(folder))


def _define() -> SimpleNamespace:
    from prometheus_client import Gauge, Histogram

    return SimpleNamespace(
        send_latency=Histogram(
            "drip_send_latency_seconds",
            "Time the provider took to accept one message.",
            ["channel"],
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        ),
        lateness=Histogram(
            "drip_delivery_lateness_seconds",
            "When a message was handed to the provider, minus when it was due.",
            ["channel"],
            buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600),
        ),
        webhook_latency=Histogram(
            "drip_webhook_latency_seconds",
            "Time the web process spent on one webhook request.",
            ["webhook"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
        ),
        apply_delay=Histogram(
            "drip_webhook_apply_delay_seconds",
            "From a webhook's arrival to a worker applying it.",
            ["lane"],
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300),
        ),
        streams=Gauge(
            "drip_board_streams_open", "Board and projector event streams open now.", multiprocess_mode="livesum"
        ),
    )


def metrics() -> SimpleNamespace:
    """This process's metric objects (created on first use, after init_app chose the directory)."""
    global _metrics
    if _metrics is None:
        with _lock:  # 64 sending threads may ask first at once; a metric registered twice raises
            if _metrics is None:
                _metrics = _define()
    return _metrics


def _never_raises(record):
    """A figure that cannot be recorded is logged, never raised: a sent message must stay recorded as sent."""

    @functools.wraps(record)
    def safe(*args, **kwargs) -> None:
        try:
            record(*args, **kwargs)
        except Exception:  # noqa: BLE001 - metrics are never worth a lost outcome
            _logger.warning("metric %s not recorded", record.__name__, exc_info=True)

    return safe


@_never_raises
def observe_send(channel: str, seconds: float, lateness: float | None) -> None:
    """Record one message handed to the provider: how long the provider took, how late it went."""
    latency, late = _send_histograms(channel)
    latency.observe(seconds)
    if lateness is not None:
        late.observe(max(lateness, 0.0))


@functools.cache
def _send_histograms(channel: str) -> tuple:
    # Each message's pair, looked up once per channel instead of through labels() every time.
    m = metrics()
    return m.send_latency.labels(channel), m.lateness.labels(channel)


@_never_raises
def observe_applied(lane: str, received_at: list, now) -> None:
    """Record how long stored webhooks waited for a worker."""
    histogram = metrics().apply_delay.labels(lane)
    for at in received_at:
        histogram.observe(max((now - at).total_seconds(), 0.0))


@_never_raises
def stream_opened() -> None:
    """One more board stream open in this process."""
    metrics().streams.inc()


@_never_raises
def stream_closed() -> None:
    """One board stream fewer."""
    metrics().streams.dec()


def _start_timer() -> None:
    if request.blueprint in WEBHOOK_BLUEPRINTS:
        g.drip_webhook_started = time.perf_counter()


def _stop_timer(response):
    started = g.pop("drip_webhook_started", None)
    if started is not None:
        observe_webhook(request.endpoint or "unknown", time.perf_counter() - started)
    return response


@_never_raises
def observe_webhook(endpoint: str, seconds: float) -> None:
    """One webhook answered in `seconds`, by its view's endpoint."""
    metrics().webhook_latency.labels(endpoint).observe(seconds)


def init_app(app: Flask) -> None:
    """Choose the metric files' directory for this process and time every webhook request."""
    folder = metrics_dir(app.config["INSTANCE_PATH"])
    folder.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(folder))
    app.config["METRICS_DIR"] = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    values = sys.modules.get("prometheus_client.values")
    if values is not None and values.ValueClass is values.MutexValue:
        # Imported before the directory was chosen (a test, a config hook): switch to files now,
        # before our metrics exist, or this process's values would never reach a scrape.
        values.ValueClass = values.get_value_class()
    app.before_request(_start_timer)
    app.after_request(_stop_timer)
