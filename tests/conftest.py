"""Fixtures: the real database and Redis from the environment, else SQLite and embedded Valkey."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent


def _database_url(tmp: Path) -> str:
    url = os.environ.get("DATABASE_URL")
    return url if url else f"sqlite:///{tmp / 'test.db'}"


@pytest.fixture(scope="session")
def test_dir() -> Path:
    """A scratch folder for this test run (SQLite file, instance folder)."""
    return Path(tempfile.mkdtemp(prefix="drip-test-"))


@pytest.fixture(scope="session")
def redis_url(test_dir: Path):
    """REDIS_URL when set; otherwise an embedded Valkey server for the whole run."""
    url = os.environ.get("REDIS_URL")
    if url:
        yield url
        return
    from drip.embedded import ensure_embedded_valkey

    # The same embedded server `make run` starts: a unix socket where possible, and its password.
    yield ensure_embedded_valkey(test_dir / "instance")


@pytest.fixture(scope="session")
def database_url(test_dir: Path) -> str:
    """The database every test uses, migrated from empty with Alembic once per run."""
    from drip.config import _normalise_database_url

    url = _normalise_database_url(_database_url(test_dir))
    return url


@pytest.fixture(scope="session")
def app_config(test_dir: Path, database_url: str, redis_url: str) -> dict:
    """Configuration shared by the in-process app and any worker process a test starts."""
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": redis_url,
        "INSTANCE_PATH": str(test_dir / "instance"),
        "SECRET_KEY": "test-secret",
        "PUBLIC_BASE_URL": "http://127.0.0.1:5000",
        "SMS_PROVIDER": "outbox",
        "EMAIL_PROVIDER": "outbox",
    }


@pytest.fixture(scope="session")
def _migrated(app_config: dict):
    """Run the real migrations once, from an empty database."""
    from flask_migrate import upgrade

    from drip import create_app
    from drip.extensions import db

    app = create_app(app_config)
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()
        db.engine.dispose()
    return True


@pytest.fixture()
def app(app_config: dict, _migrated):
    """A fresh app on an emptied database and Redis."""
    from drip import create_app
    from drip.extensions import db, redis_store
    from tests.support.app_teardown import close_database

    app = create_app(app_config)
    with app.app_context():
        yield app
        db.session.remove()
        _empty_tables(db)
        redis_store.connection.flushdb()
        redis_store.connection.close()
        close_database(db.engine)


def _empty_tables(db) -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        # DELETE, children first, on both databases: a test leaves a few rows, and PostgreSQL's TRUNCATE
        # gives every table and index a new file each time (~0.1 s a test, ~2 min a run). Then the id
        # sequences start again at 1, as TRUNCATE's RESTART IDENTITY did.
        for name in tables:
            conn.execute(text(f"DELETE FROM {name}"))
        if conn.dialect.name == "postgresql":
            conn.execute(
                text(
                    "SELECT setval(c.oid::regclass, 1, false) FROM pg_class c"
                    " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'S' AND n.nspname = current_schema()"
                )
            )


@pytest.fixture()
def client(app):
    """A test client with CSRF protection on, as in production."""
    return app.test_client()


@pytest.fixture()
def runner(app):
    """A CLI runner for `flask drip ...` commands."""
    return app.test_cli_runner()


@pytest.fixture()
def trainer(app):
    """A trainer account with a known password."""
    from drip.services import accounts

    return accounts.create_trainer("trainer@example.com", "correct horse battery", "Tess Trainer")


def csrf_token(client, path: str = "/login") -> str:
    """Read the CSRF token a page hands the browser."""
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf[-_]token"[^>]*(?:content|value)="([^"]+)"', html) or re.search(
        r'(?:content|value)="([^"]+)"[^>]*name="csrf[-_]token"', html
    )
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client, email: str = "trainer@example.com", password: str = "correct horse battery"):
    """Sign in through the real login form."""
    token = csrf_token(client)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


@pytest.fixture()
def logged_in(client, trainer):
    """A client signed in as `trainer`."""
    response = login(client)
    assert response.status_code == 302
    return client
