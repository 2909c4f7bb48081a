"""What a worker's appliers do, run in the test's own process: apply every stored webhook now."""

from __future__ import annotations


def drain() -> int:
    """Route stored inbound messages (sending their answers) and apply stored status events; returns how many."""
    from drip.services.inbound.apply import route_now
    from drip.services.webhooks.apply_statuses import apply_pending_statuses

    total = route_now()
    while applied := apply_pending_statuses():
        total += applied
    return total


def wait_applied(seconds: float = 30.0) -> None:
    """Apply what is stored here too, until nothing is left unapplied (worker processes may hold leases)."""
    import time

    from sqlalchemy import func, select

    from drip.extensions import db
    from drip.models import InboundReceipt, ProviderEvent

    deadline = time.monotonic() + seconds
    while True:
        drain()
        db.session.rollback()
        left = sum(
            db.session.scalar(select(func.count()).select_from(model).where(model.applied_at.is_(None))) or 0
            for model in (InboundReceipt, ProviderEvent)
        )
        if not left:
            return
        assert time.monotonic() < deadline, f"{left} stored webhooks still unapplied"
        time.sleep(0.1)
