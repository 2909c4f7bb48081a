"""A small HTTP load generator: fixed rate (open loop) or as fast as N connections go (closed loop).

`python -m bench.loadgen URL BODIES --seconds S [--rate R] [--connections N]` posts the pre-signed
bodies (lines `signature<TAB>body`) to URL, each once, and prints one JSON line: requests, errors,
p50/p99/max latency and its own CPU seconds. At a fixed rate, latency counts from the moment each
request was due, so a slow server cannot hide its queueing (no coordinated omission).
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import threading
import time
from urllib.parse import urlsplit

PATH = "/webhooks/twilio/sms"


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, -(-len(ordered) * p // 100) - 1)] if ordered else float("nan")


def run(
    url: str, lines: list[tuple[str, str]], *, seconds: float, rate: float, connections: int, path: str = PATH
) -> dict:
    """Drive the load; return the summary."""
    parts = urlsplit(url)
    total = int(rate * seconds) if rate else len(lines)
    counter, results, lock = itertools.count(), [], threading.Lock()
    start = time.monotonic() + 0.1
    stop_at = start + seconds

    def client():
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        mine = []
        while True:
            i = next(counter)  # atomic under the GIL
            due = start + i / rate if rate else time.monotonic()
            if i >= total or due >= stop_at:
                break
            if rate and due > time.monotonic():
                time.sleep(due - time.monotonic())
            signature, body = lines[i % len(lines)]
            try:
                conn.request(
                    "POST",
                    path,
                    body,
                    {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature},
                )
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                status = 0
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
            mine.append((time.monotonic() - due, status))
        conn.close()
        with lock:
            results.extend(mine)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 30)
    elapsed = time.monotonic() - start
    latencies = [lat for lat, _ in results]
    errors = sum(1 for _, status in results if not 200 <= status < 300)
    cpu = os.times()
    return {
        "requests": len(results),
        "errors": errors,
        "seconds": elapsed,
        "rate": len(results) / elapsed,
        "p50": _percentile(latencies, 50),
        "p95": _percentile(latencies, 95),
        "p99": _percentile(latencies, 99),
        "max": max(latencies, default=0.0),
        "cpu_seconds": cpu.user + cpu.system,
        "wrapped": len(results) > len(lines),
    }


def main(argv=None) -> None:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(prog="python -m bench.loadgen")
    parser.add_argument("url")
    parser.add_argument("bodies")
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--rate", type=float, default=0.0, help="requests per second; 0 = closed loop")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--path", default=PATH, help="the webhook path the bodies are signed for")
    options = parser.parse_args(argv)
    with open(options.bodies) as file:
        lines = [tuple(line.rstrip("\n").split("\t", 1)) for line in file]
    print(
        json.dumps(
            run(
                options.url,
                lines,
                seconds=options.seconds,
                rate=options.rate,
                connections=options.connections,
                path=options.path,
            )
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
