"""What a worker's appliers do, run in the test's own process: apply every stored webhook now."""
from __future__ import annotations


def drain() -> int:
    """Route stored inbound messages (sending their answers) and apply stored status events; returns how many."""
    from drip.services.inbound.apply import route_now
    from drip.services.delivery.apply_callbacks import apply_pending_statuses

    total = route_now()
    while applied := apply_pending_statuses():
        total += applied
    return total
