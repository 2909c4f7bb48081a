"""What `/metrics` reads from the database and Redis at each scrape: true whichever process answers."""

from __future__ import annotations

from sqlalchemy import func, select

from drip.extensions import db, redis_store
from drip.models import Delivery, InboundReceipt, MediaItem, ProviderEvent, utcnow
from drip.services.delivery.recovery import ALIVE_PREFIX

LANES = {"inbound": InboundReceipt, "callbacks": ProviderEvent}  # the webhook lanes (rows with applied_at)
# Each worker lane's waiting rows, and when each arrived: webhooks not yet applied, and learners'
# pictures (MMS, emailed) not yet fetched and checked by the media lane.
WAITING = {
    "inbound": (InboundReceipt.applied_at.is_(None), InboundReceipt.received_at),
    "callbacks": (ProviderEvent.applied_at.is_(None), ProviderEvent.created_at),
    "media": (MediaItem.status == "pending", MediaItem.created_at),
}


class StateCollector:
    """A prometheus_client collector of deliveries by status, the webhook backlog and the queues."""

    def collect(self):
        """Yield the gauge families, read now."""
        from prometheus_client.core import GaugeMetricFamily

        deliveries = GaugeMetricFamily(
            "drip_deliveries", "Deliveries by status and channel.", labels=["status", "channel"]
        )
        for status, channel, count in db.session.execute(
            select(Delivery.status, Delivery.channel, func.count()).group_by(Delivery.status, Delivery.channel)
        ):
            deliveries.add_metric([status, channel], count)
        yield deliveries
        now = utcnow()
        backlog = GaugeMetricFamily(
            "drip_webhook_backlog",
            "Webhooks stored but not yet applied by a worker (media: learners' pictures not yet fetched).",
            labels=["lane"],
        )
        oldest = GaugeMetricFamily(
            "drip_webhook_oldest_unapplied_seconds",
            "Age of the oldest webhook not yet applied (0 when none).",
            labels=["lane"],
        )
        for lane, (waiting, arrived) in WAITING.items():
            count, first = db.session.execute(select(func.count(), func.min(arrived)).where(waiting)).one()
            backlog.add_metric([lane], count or 0)
            oldest.add_metric([lane], (now - first).total_seconds() if first else 0.0)
        yield backlog
        yield oldest
        due = (
            db.session.scalar(
                select(func.count()).select_from(Delivery).where(Delivery.status == "scheduled", Delivery.due_at <= now)
            )
            or 0
        )
        db.session.rollback()
        depth = GaugeMetricFamily(
            "drip_queue_depth",
            "Work waiting: deliveries due and not yet claimed (due), send batches waiting in RQ (rq).",
            labels=["queue"],
        )
        depth.add_metric(["due"], due)
        yield from self._redis(depth)

    def _redis(self, depth):
        from prometheus_client.core import GaugeMetricFamily
        from drip.queues import send_queue

        workers = GaugeMetricFamily("drip_workers_alive", "Worker processes whose heartbeat is fresh.")
        try:
            depth.add_metric(["rq"], send_queue().count)
            workers.add_metric([], sum(1 for _ in redis_store.connection.scan_iter(ALIVE_PREFIX + "*", count=100)))
        except Exception:  # Redis down: /healthz says so; the database figures still matter
            pass
        yield depth
        yield workers
