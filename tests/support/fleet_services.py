"""The services host of the fleet test: a throwaway PostgreSQL cluster and a Redis, each on its link only."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from tests.support.hosts import Host, wait_until

PG_USER = "postgres"  # PostgreSQL refuses to run as root; Debian's server package creates this user


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def missing() -> str | None:
    """None when the services can run here; otherwise what is missing."""
    for name in ("initdb", "postgres"):
        if _binary(name) is None:
            return f"PostgreSQL's {name} is not installed"
    if shutil.which("redis-server") is None:
        return "redis-server is not installed"
    try:
        pwd.getpwnam(PG_USER)
    except KeyError:
        return f"no {PG_USER} user to run PostgreSQL as"
    return None


class PostgresOnHost:
    """A PostgreSQL cluster initialised into a temporary folder, served on one host's address."""

    def __init__(self, host: Host):
        self.host = host
        self.folder = Path(tempfile.mkdtemp(prefix="drip-fleet-pg-"))
        user = pwd.getpwnam(PG_USER)
        os.chown(self.folder, user.pw_uid, user.pw_gid)
        self.data = self.folder / "data"
        subprocess.run(
            [
                "runuser",
                "-u",
                PG_USER,
                "--",
                _binary("initdb"),
                "-D",
                str(self.data),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
                "-E",
                "UTF8",
            ],
            check=True,
            capture_output=True,
        )
        subnet = host.ip.rsplit(".", 1)[0]
        with (self.data / "pg_hba.conf").open("a") as hba:
            hba.write(f"host all all {subnet}.0/24 trust\n")
        self.process: subprocess.Popen | None = None
        self.url = f"postgresql://postgres@{host.ip}:5432/drip"

    def start(self) -> None:
        """Start the server (listening on the host's address only) and wait until it accepts connections."""
        argv = [
            _binary("postgres"),
            "-D",
            str(self.data),
            "-c",
            f"listen_addresses={self.host.ip}",
            "-c",
            "port=5432",
            "-c",
            f"unix_socket_directories={self.folder}",
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
            "-c",
            "max_connections=300",
        ]
        self.process = self.host.start(
            argv, env={"PATH": os.environ["PATH"], "LANG": "C.UTF-8"}, log="postgres", user=PG_USER
        )
        wait_until(self.ready, 30, "PostgreSQL to accept connections")

    def ready(self) -> bool:
        """True once the server answers on its address."""
        import psycopg

        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(f"PostgreSQL exited with {self.process.returncode}")
        try:
            with psycopg.connect(f"postgresql://postgres@{self.host.ip}:5432/postgres", connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False

    def restart(self) -> None:
        """Fast shutdown (every connection is closed, open transactions abort), then start again."""
        self.host.stop(self.process, signal.SIGINT, timeout=30)
        self.start()

    def create_database(self) -> None:
        """The empty `drip` database."""
        import psycopg

        with psycopg.connect(f"postgresql://postgres@{self.host.ip}:5432/postgres", autocommit=True) as connection:
            connection.execute("CREATE DATABASE drip")

    def close(self) -> None:
        """Stop the server and remove the cluster."""
        if self.process is not None:
            self.host.stop(self.process, signal.SIGINT, timeout=30)
        shutil.rmtree(self.folder, ignore_errors=True)


def start_redis(host: Host) -> str:
    """A Redis server on the host's address only (nothing saved); returns its URL once it answers."""
    import redis

    argv = [
        "redis-server",
        "--bind",
        host.ip,
        "--port",
        "6379",
        "--save",
        "",
        "--appendonly",
        "no",
        "--protected-mode",
        "no",
    ]
    process = host.start(argv, env={"PATH": os.environ["PATH"]}, log="redis")
    url = f"redis://{host.ip}:6379/0"

    def answers() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"redis-server exited with {process.returncode}")
        try:
            return bool(redis.Redis.from_url(url, socket_timeout=1).ping())
        except redis.RedisError:
            return False

    wait_until(answers, 20, "Redis to answer")
    return url
