"""The fake provider (fakes.provider.FakeProvider) in its own process, plus its arrival times.

Run as `python -m bench.provider --latency 0.15 --dump arrivals.json`: it prints its URL, serves
until SIGTERM, then writes one record per accepted message (wall-clock arrival, recipient,
delivery id) and its own CPU time to the dump file. Its CPU is thus never counted with the workers.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path

from fakes.provider import FakeProvider
from fakes.provider_apis import ACCOUNT_SID, AUTH_TOKEN

FROM_NUMBER = "+15005550006"  # any E.164 sender: the fake only checks that one is given


def twilio_env(url: str) -> dict[str, str]:
    """Environment that points Drip's real twilio client at the fake."""
    return {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": FROM_NUMBER,
        "TWILIO_API_BASE": url,
        "DRIP_SMS_PROVIDER": "twilio",
    }


def main(argv=None) -> None:
    """Serve the fake until SIGTERM, then dump what arrived."""
    parser = argparse.ArgumentParser(prog="python -m bench.provider")
    parser.add_argument("--latency", type=float, default=0.15)
    parser.add_argument("--dump", type=Path, required=True)
    parser.add_argument("--host", default="127.0.0.1", help="the address to listen on")
    options = parser.parse_args(argv)
    provider = FakeProvider(latency=options.latency, host=options.host).start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    print(provider.url, flush=True)
    done.wait()
    provider.stop()
    with provider.lock:
        accepted = [
            {"at": m["arrived_at"], "to": m["to"], "delivery_id": m.get("delivery_id"), "peer": m["peer_host"]}
            for m in provider.accepted
        ]
        refused = len(provider.requests) - len(provider.accepted)
    times = os.times()
    dump = {"accepted": accepted, "refused": refused, "cpu_seconds": times.user + times.system}
    tmp = options.dump.with_suffix(".tmp")
    tmp.write_text(json.dumps(dump))
    tmp.rename(options.dump)  # the reader waits for the file to appear whole
    sys.exit(0)


if __name__ == "__main__":
    main()
