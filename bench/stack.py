"""The database and Redis a benchmark runs against: created, migrated, emptied, dropped; child environments."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import redis
from sqlalchemy import text

from drip.config import _normalise_database_url

ROOT = Path(__file__).resolve().parent.parent
PUBLIC_BASE_URL = "http://127.0.0.1:5000"  # what webhook signatures are computed over
SECRET_KEY = "bench-secret-key"
VENV_BIN = Path(sys.executable).parent
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1/drip_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
SENTINEL = "drip-bench:sentinel"


def _local_only(url: str) -> None:
    host = urlsplit(url).hostname
    if host not in (None, "", "127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"benchmarks only talk to this machine; refusing {host}")


@dataclass
class Stack:
    """One benchmark database (created for the run) and one Redis database (flushed between runs)."""

    database_url: str
    redis_url: str
    workdir: Path
    keep_database: bool = False
    _app: object = field(default=None, repr=False)

    def __post_init__(self) -> None:
        _local_only(self.database_url)
        _local_only(self.redis_url)
        self.sqlalchemy_url = _normalise_database_url(self.database_url)
        self.is_sqlite = self.sqlalchemy_url.startswith("sqlite")
        self.instance = self.workdir / "instance"
        self.instance.mkdir(parents=True, exist_ok=True)

    # -- the database ------------------------------------------------------------------------
    def create(self) -> None:
        """Create the database afresh and migrate it to head."""
        if self.is_sqlite:
            path = Path(self.sqlalchemy_url.removeprefix("sqlite:///"))
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
        else:
            self._admin(f'DROP DATABASE IF EXISTS "{self._db_name()}" WITH (FORCE)')
            self._admin(f'CREATE DATABASE "{self._db_name()}"')
        from flask_migrate import upgrade

        with self.app().app_context():
            upgrade(directory=str(ROOT / "migrations"))

    def drop(self) -> None:
        """Drop the database unless asked to keep it; close the in-process app's connections."""
        if self._app is not None:
            from drip.extensions import db

            with self._app.app_context():
                db.session.remove()
                db.engine.dispose()
        if self.keep_database or self.is_sqlite:
            return
        self._admin(f'DROP DATABASE IF EXISTS "{self._db_name()}" WITH (FORCE)')

    def _db_name(self) -> str:
        return urlsplit(self.sqlalchemy_url).path.lstrip("/")

    def _admin(self, sql: str) -> None:
        import psycopg

        admin = f"postgresql://{urlsplit(self.sqlalchemy_url).netloc}/postgres"
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(sql)

    def reset(self) -> None:
        """Empty every table and the Redis database."""
        from drip.extensions import db

        with self.app().app_context():
            db.session.remove()
            tables = [t.name for t in reversed(db.metadata.sorted_tables)]
            with db.engine.begin() as connection:
                if self.is_sqlite:
                    for name in tables:
                        connection.execute(text(f"DELETE FROM {name}"))
                else:
                    connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        self.flush_redis()

    # -- Redis -------------------------------------------------------------------------------
    def redis(self) -> redis.Redis:
        """A client of the benchmark's Redis database (one per Stack)."""
        if not hasattr(self, "_redis"):
            self._redis = redis.Redis.from_url(self.redis_url)
        return self._redis

    def flush_redis(self) -> None:
        """Empty the Redis database and leave a sentinel, so a flush by someone else shows."""
        self.redis().flushdb()
        self.redis().set(SENTINEL, "1")

    def redis_intact(self) -> bool:
        """False when the Redis database was emptied by something other than this benchmark."""
        return bool(self.redis().exists(SENTINEL))

    # -- apps and processes -----------------------------------------------------------------
    def config(self, **overrides) -> dict:
        """Configuration for an in-process app on the benchmark database and Redis."""
        return {
            "SQLALCHEMY_DATABASE_URI": self.sqlalchemy_url,
            "REDIS_URL": self.redis_url,
            "INSTANCE_PATH": str(self.instance),
            "SECRET_KEY": SECRET_KEY,
            "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
            "SMS_PROVIDER": "outbox",
            "EMAIL_PROVIDER": "outbox",
            **overrides,
        }

    def app(self):
        """The benchmark's own in-process app (seeding, polling); built once."""
        if self._app is None:
            from drip import create_app

            self._app = create_app(self.config())
        return self._app

    def env(self, **extra: str) -> dict[str, str]:
        """Environment for a web or worker process on this stack (provider settings in `extra`)."""
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("TWILIO_", "SENDGRID_", "DRIP_")) and k not in ("DATABASE_URL", "REDIS_URL")
        }
        env.update(
            {
                "DATABASE_URL": self.database_url,
                "REDIS_URL": self.redis_url,
                "DRIP_INSTANCE_PATH": str(self.instance),
                "SECRET_KEY": SECRET_KEY,
                "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
                "DRIP_SMS_RATE": "0",
                "PATH": f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(extra)
        return env
