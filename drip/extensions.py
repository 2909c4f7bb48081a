"""Extensions created once, unbound; `create_app` binds them."""

from __future__ import annotations

from typing import Any

import redis
from flask import Flask
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints keep Alembic migrations identical on PostgreSQL and SQLite.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base for every Drip table."""

    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()


class RedisHolder:
    """Holds the Redis URL and hands out one lazily created client per process."""

    def __init__(self) -> None:
        self.url: str | None = None
        self._client: redis.Redis | None = None

    def init_app(self, app: Flask) -> None:
        """Resolve the Redis URL (starting the embedded Valkey when none is configured)."""
        url = app.config.get("REDIS_URL")
        if not url:
            from drip.embedded import ensure_embedded_valkey

            url = ensure_embedded_valkey(app.config["INSTANCE_PATH"])
            app.config["REDIS_URL"] = url
        if url != self.url:
            self.url = url
            self._client = None
        app.extensions["drip_redis"] = self

    @property
    def connection(self) -> redis.Redis:
        """The shared client; redis-py's pool is thread-safe and fork-aware."""
        if self._client is None:
            if not self.url:
                raise RuntimeError("Redis is not configured: call init_app first")
            # Each open board stream holds one connection (its subscription): redis-py's default cap
            # of 100 per process would refuse boards long before the web process's 500 streams.
            self._client = redis.Redis.from_url(
                self.url, socket_connect_timeout=2, socket_timeout=10, health_check_interval=30, max_connections=1000
            )
        return self._client

    def __getattr__(self, name: str) -> Any:
        return getattr(self.connection, name)


redis_store = RedisHolder()
