"""RQ entry points: an app context, then a service call."""

from __future__ import annotations

from flask import Flask, current_app, has_app_context

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
    from drip.database import own_pool, pool_inherited
    from drip.extensions import db

    engine = db.engine
    # The pid is kept on the engine (create_app sets it), not at import: a horse may be the first to
    # import this module. Only a fork sees another pid; in the process that opened the pool (a job
    # performed in-process) dropping it would leave its connections open for the garbage collector.
    if pool_inherited(engine):
        # close=False: the sockets belong to the parent, which goes on using them.
        engine.dispose(close=False)
        own_pool(engine)


def send_batch(delivery_ids: list[int], claim: str) -> dict[str, int]:
    """Send a batch of deliveries claimed by the dispatcher for this job.

    A long-running worker goes on with the batch in a thread and frees itself for the next job at
    once (in_flight); a forked work horse or a one-off run sends it here and returns its outcomes."""
    with _application().app_context():
        from drip.services.delivery.in_flight import IN_FLIGHT

        in_flight = current_app.extensions.get(IN_FLIGHT)
        if in_flight is not None:
            in_flight.hand_over(delivery_ids, claim)
            return {"handed_over": len(delivery_ids)}
        _forget_inherited_connections()
        from drip.services.delivery.send import send_claimed

        return send_claimed(delivery_ids, claim)
