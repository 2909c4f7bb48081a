"""9. Routing stored texts, as one worker's inbound lane does: texts routed per second and SQL statements
per text, Drip (a batch's senders loaded once, inbound/sender_batch, and its texts filed together,
inbound/batch_filing: one commit a batch) beside the path before issue 28 (each text's sender looked
up on its own, each text filed and committed on its own) in the same run, on the same rows.

A live session's learners each got a poll two minutes ago; half of them text a vote ("2"), the other
half a question: N stored receipts, routed in-process by `apply_pending_inbound` (apply.BATCH a
batch) until none is left, one thread as one worker's lane. Between runs the routed rows are
deleted and the receipts stored again.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from datetime import timedelta

from sqlalchemy import delete, event, insert, select

from bench import poll_storm
from bench.common import Bench, Figure

QUESTION = "How do I give feedback to someone more senior than me?"


class _NoBatch:
    """The path before issue 28: no batch is current, so each text's sender is looked up on its own."""

    def close(self) -> None:
        """Nothing to close."""


def _store(bench: Bench, phones: list[str]) -> None:
    from drip.extensions import db
    from drip.models import InboundReceipt, utcnow

    now = utcnow()
    rows = []
    for n, phone in enumerate(phones):
        sid = "SM" + uuid.uuid4().hex
        form = {
            "MessageSid": sid,
            "SmsSid": sid,
            "From": phone,
            "To": "+15005550006",
            "Body": "2" if n % 2 else QUESTION,
        }
        rows.append(
            {
                "channel": "sms",
                "provider_message_id": sid,
                "payload": form,
                "received_at": now + timedelta(microseconds=n),
                "attempts": 0,
            }
        )
    db.session.execute(insert(InboundReceipt), rows)
    db.session.commit()


def _forget() -> None:
    from drip.extensions import db
    from drip.models import InboundMessage, InboundReceipt, LiveQuestion, OutboxMessage, Reply

    for model in (Reply, LiveQuestion, OutboxMessage, InboundMessage, InboundReceipt):
        db.session.execute(delete(model))
    db.session.commit()


def one_run(bench: Bench, phones: list[str], *, batched: bool) -> dict:
    """Store the texts, route them all as one worker's lane; texts per second, CPU and statements per text."""
    from drip.extensions import db
    from drip.models import InboundMessage
    from drip.services.inbound import apply

    with bench.stack.app().app_context():
        _store(bench, phones)
        statements = []
        counter = lambda *args: statements.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", counter)
        senders, split = apply._senders, apply.batch_filing.split
        if not batched:
            apply._senders = lambda claimed: contextlib.nullcontext(_NoBatch())
            apply.batch_filing.split = lambda claimed, batch: ([], claimed)
        try:
            started, cpu = time.perf_counter(), time.process_time()
            routed = 0
            while claimed := apply.apply_pending_inbound()[0]:
                routed += claimed
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        finally:
            apply._senders, apply.batch_filing.split = senders, split
            event.remove(db.engine, "before_cursor_execute", counter)
        stored = len(db.session.scalars(select(InboundMessage.id)).all())
        _forget()
        db.session.remove()
    if stored != len(phones):
        raise RuntimeError(f"{stored} of {len(phones)} texts routed")
    result = {"rate": routed / elapsed, "cpu_ms": cpu / routed * 1000, "statements": len(statements) / routed}
    bench.say(
        f"  route ({'batched' if batched else 'one by one'}): {result['rate']:.0f} texts/s, "
        f"{result['cpu_ms']:.1f} ms CPU and {result['statements']:.1f} statements a text"
    )
    return result


def measure(bench: Bench) -> list[Figure]:
    """Both paths, alternately, `runs` times each; the rows of section 9."""
    sizes, stack = bench.sizes, bench.stack
    stack.reset()
    seeded = poll_storm._seed(bench, sizes.route_texts)
    bench.say(f"route: {sizes.route_texts:,} stored texts (half votes, half questions), {sizes.runs} runs each")
    drip, old = [], []
    for _ in range(sizes.runs):
        drip.append(one_run(bench, seeded["phones"], batched=True))
        old.append(one_run(bench, seeded["phones"], batched=False))
    stack.reset()
    label = "(one by one, before issue 28)"

    def row(name, unit, key, target="", meets=None):
        return Figure("9", name, unit, [r[key] for r in drip], [r[key] for r in old], label, target, meets)

    return [
        row(
            f"texts routed by one worker's lane, {sizes.route_texts:,} stored",
            "texts/s",
            "rate",
            ">= 1,000",
            lambda v, b: v >= 1000,
        ),
        row("routing: worker CPU per text", "ms", "cpu_ms"),
        row("routing: SQL statements per text", "", "statements"),
    ]
