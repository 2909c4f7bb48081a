"""A web worker is warmed up before its first request: connections open, the loaded app frozen."""

from __future__ import annotations

import gc
import logging
import runpy
from types import SimpleNamespace

import pytest
from flask import Flask

from drip.extensions import db
from drip.web.warm_up import warm_up
from tests.conftest import ROOT


@pytest.fixture()
def unfrozen():
    yield
    gc.unfreeze()  # the test process keeps collecting as before


def test_warm_up_opens_what_the_first_webhook_needs_and_freezes_the_heap(app, unfrozen):
    db.session.remove()
    db.engine.dispose()

    warm_up(app)

    # One pooled connection for the request's session (the join keywords), one for the group commit.
    assert db.engine.pool.checkedin() >= 2
    assert "drip_join_keywords" in app.extensions
    assert gc.get_freeze_count() > 0


def test_a_database_away_at_start_leaves_the_worker_serving(app_config, _migrated, unfrozen, caplog):
    from drip import create_app

    away = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://drip@127.0.0.1:9/none"})
    with caplog.at_level(logging.WARNING, logger="drip.web.warm_up"):
        warm_up(away)

    assert "not warmed up" in caplog.text


def test_gunicorn_warms_each_web_worker_up(app, monkeypatch):
    warmed = []
    monkeypatch.setattr("drip.web.warm_up.warm_up", warmed.append)
    hooks = runpy.run_path(str(ROOT / "gunicorn.conf.py"))

    hooks["post_worker_init"](SimpleNamespace(wsgi=app))
    hooks["post_worker_init"](SimpleNamespace(wsgi=Flask("bench.trivial_app")))  # another app: left alone
    hooks["post_worker_init"](SimpleNamespace(wsgi=lambda environ, start_response: []))

    assert warmed == [app]
