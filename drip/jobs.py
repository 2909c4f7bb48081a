"""RQ entry points: an app context, then a service call."""
from __future__ import annotations

import os

from flask import Flask, current_app, has_app_context

_pool_pid = os.getpid()
_app: Flask | None = None


def _application() -> Flask:
    """The worker's app (pushed by `flask drip worker`), or one built for a bare `rq worker`."""
    global _app
    if has_app_context():
        return current_app._get_current_object()
    if _app is None:
        from drip import create_app

        _app = create_app()
    return _app


def _forget_inherited_connections() -> None:
    """In a forked work horse, drop the parent's pooled database connections without closing them."""
    global _pool_pid
    if _pool_pid != os.getpid():
        from drip.extensions import db

        # close=False: the sockets belong to the parent, which goes on using them.
        db.engine.dispose(close=False)
        _pool_pid = os.getpid()


def send_batch(delivery_ids: list[int], claim: str) -> dict[str, int]:
    """Send a batch of deliveries claimed by the dispatcher for this job."""
    with _application().app_context():
        _forget_inherited_connections()
        from drip.services.sending import send_batch as send

        return send(delivery_ids, claim)
