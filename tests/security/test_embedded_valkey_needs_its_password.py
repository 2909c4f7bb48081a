"""Finding 5: the embedded Valkey listened without a password while RQ unpickles the jobs it reads.

Now it answers only with a random password kept owner-only in instance/, on a unix socket where the
platform has one (no TCP port at all), else on 127.0.0.1.
"""

from __future__ import annotations

import stat
from urllib.parse import urlsplit

import pytest
import redis

from drip.embedded import ensure_embedded_valkey, password, socket_path


def test_the_embedded_server_refuses_a_client_without_the_password(tmp_path):
    folder = tmp_path / "i"
    url = ensure_embedded_valkey(folder)
    assert redis.Redis.from_url(url).ping()  # the URL web and workers get carries the password
    kept = folder / "valkey_password"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600 and password(folder) in url
    assert stat.S_IMODE((folder / "valkey.json").stat().st_mode) == 0o600
    sock = socket_path(folder)
    assert sock is not None and urlsplit(url).scheme == "unix"
    assert stat.S_IMODE(sock.stat().st_mode) & 0o077 == 0  # no one else may even connect
    with pytest.raises(redis.AuthenticationError):
        redis.Redis(unix_socket_path=str(sock)).ping()
    # A second process of the same instance (web, worker) finds the same server and password.
    assert ensure_embedded_valkey(folder) == url
