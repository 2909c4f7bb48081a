"""The moves of a delivery's life cycle: the statuses each leaves and those it may reach (DESIGN.md).

Only transitions.py writes them; this table is what its guards and the tests read.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_

from drip.models import Delivery

_t = Delivery.__table__


@dataclass(frozen=True)
class Transition:
    """A move of the life cycle: the statuses it leaves and those it may reach."""

    name: str
    sources: tuple[str, ...]
    targets: tuple[str, ...]

    def guard(self):
        """The WHERE clause that matches only rows this transition may move (OR: executemany refuses IN)."""
        return or_(*[_t.c.status == status for status in self.sources])

    def check(self, target: str) -> str:
        """`target` if this transition may reach it; ValueError otherwise."""
        if target not in self.targets:
            raise ValueError(f"{self.name} cannot move a delivery to {target!r}")
        return target


CREATE = Transition("create", (), ("scheduled", "skipped"))
QUEUE = Transition("queue", ("scheduled",), ("queued",))
START_SENDING = Transition("start_sending", ("queued",), ("sending",))
# `unknown` too: the lease may run out before the provider's answer comes, and the answer is worth keeping.
# `scheduled`: the provider was never reached, so a later claim may try again (MAX_CLAIMS times at most).
# `delivered`: the outbox stands in for the provider and the phone both, so what it takes has arrived.
FINISH_SENDING = Transition(
    "finish_sending", ("sending", "unknown"), ("sent", "delivered", "failed", "skipped", "unknown", "scheduled")
)
MAX_CLAIMS = 5
EXPIRE_LEASE = Transition("expire_lease", ("sending",), ("unknown",))
REQUEUE = Transition("requeue", ("queued",), ("scheduled",))
SKIP_OPTED_OUT = Transition("skip_opted_out", ("queued",), ("skipped",))
CANCEL = Transition("cancel", ("scheduled", "queued"), ("skipped",))
# A learner's answer makes a pending re-ask or follow-up of that step unneeded.
SKIP_ANSWERED = Transition("skip_answered", ("scheduled", "queued"), ("skipped",))
# A step skipped only for being late comes back when its session moves (the caller picks those rows).
RESCHEDULE = Transition("reschedule", ("scheduled", "queued", "skipped"), ("scheduled", "skipped"))
# Provider reports move a delivery only up the ranks of catalog.STATUSES, so late or repeated ones change nothing.
REPORT = Transition(
    "report", ("scheduled", "queued", "sending", "unknown", "sent"), ("sent", "delivered", "failed", "undelivered")
)
# Messages taken back before they go: a step deleted, a learner unenrolled or erased.
WITHDRAW = Transition("withdraw", ("scheduled", "queued"), ("skipped",))
# An unenrolled learner enrolled again: what was withdrawn for the unenrolment and is still ahead comes back.
RESTORE = Transition("restore", ("skipped",), ("scheduled",))
TRANSITIONS = (
    CREATE,
    QUEUE,
    START_SENDING,
    FINISH_SENDING,
    EXPIRE_LEASE,
    REQUEUE,
    SKIP_OPTED_OUT,
    CANCEL,
    SKIP_ANSWERED,
    RESCHEDULE,
    REPORT,
    WITHDRAW,
    RESTORE,
)
