"""services/delivery/transitions.py is the only code that writes a delivery's status.

The package is read as source (ast): an UPDATE of the deliveries table setting `status`, a row dict
with a "status" key in a module about deliveries, an assignment of a delivery status to `.status`, or
SQL text updating `deliveries`, anywhere but transitions.py, fails the test with its place.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from drip.domain import catalog

PACKAGE = Path(__file__).resolve().parents[2] / "drip"
OWNER = PACKAGE / "services" / "delivery" / "transitions.py"
DELIVERY_STATUSES = set(catalog.names(catalog.STATUSES))
_SQL = re.compile(r"\bupdate\s+deliveries\b", re.I)


def _root(node: ast.AST) -> ast.AST:
    """The innermost call of a method chain: update(X) in update(X).where(...).values(...)."""
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        node = node.func.value
    return node


def _about_deliveries(node: ast.AST) -> bool:
    text = ast.unparse(node)
    return "Delivery" in text or text in ("_t", "deliveries")


def status_writes(source: str, filename: str = "<source>") -> list[str]:
    """Each place in `source` that writes a delivery's status, as "file:line: what"."""
    tree = ast.parse(source)
    mentions_deliveries = "Delivery" in source or "deliveries" in source
    found = []

    def flag(node: ast.AST, what: str) -> None:
        found.append(f"{filename}:{node.lineno}: {what}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "values":
            root = _root(node.func.value)
            targets_deliveries = (
                isinstance(root, ast.Call)
                and isinstance(root.func, ast.Name)
                and root.func.id in ("update", "insert")
                and root.args
                and _about_deliveries(root.args[0])
            )
            if targets_deliveries and any(k.arg in ("status", None) for k in node.keywords):
                flag(node, "UPDATE/INSERT of deliveries setting status")
        elif isinstance(node, ast.Dict) and mentions_deliveries:
            if any(isinstance(k, ast.Constant) and k.value == "status" for k in node.keys):
                flag(node, 'row dict with a "status" key')
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and target.attr == "status":
                    value = node.value
                    is_delivery_word = isinstance(value, ast.Constant) and value.value in DELIVERY_STATUSES
                    if is_delivery_word or "deliver" in ast.unparse(target.value).lower():
                        flag(node, f"assignment to {ast.unparse(target)}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "setattr":
            if len(node.args) > 1 and isinstance(node.args[1], ast.Constant) and node.args[1].value == "status":
                flag(node, "setattr of status")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _SQL.search(node.value):
            flag(node, "SQL text updating deliveries")
    return found


def test_only_transitions_writes_a_delivery_status():
    modules = [path for path in sorted(PACKAGE.rglob("*.py")) if path != OWNER]
    assert len(modules) > 50  # the package was found and read
    writes = [w for path in modules for w in status_writes(path.read_text(), str(path.relative_to(PACKAGE.parent)))]
    assert writes == [], "status written outside services/delivery/transitions.py:\n" + "\n".join(writes)


def test_transitions_itself_is_seen_writing():
    # The checker must recognise the writes it forbids elsewhere, or the test above proves nothing.
    assert len(status_writes(OWNER.read_text())) >= 8


@pytest.mark.parametrize(
    "source",
    [
        'update(Delivery).where(Delivery.id == 1).values(status="sent")',
        "update(Delivery.__table__).values(**values)",
        'db.session.execute(update(_t).where(x).values(status=bindparam("s")))',
        'insert(Delivery).values(status="scheduled", due_at=now)',
        'rows = [{"status": "queued", "id": 1}]  # Delivery rows',
        'delivery.status = "sent"',
        'row.status = "unknown"',
        "the_delivery.status = new_status",
        'setattr(delivery, "status", "failed")',
        'db.session.execute(text("UPDATE deliveries SET status = :s"))',
    ],
)
def test_each_way_of_writing_a_status_is_caught(source):
    assert status_writes(source)


@pytest.mark.parametrize(
    "source",
    [
        'ts.status = "cancelled"',
        'update(TrainingSession).values(status="cancelled")',
        'select(Delivery).where(Delivery.status == "queued")',
        "update(Delivery).values(clicked_at=now)",
        'return {"status": "ok"}',
    ],
)
def test_reads_and_other_tables_are_not_writes(source):
    assert status_writes(source) == []


def test_a_transition_refuses_a_status_it_cannot_reach():
    from types import SimpleNamespace

    from drip.services.delivery import transitions

    with pytest.raises(ValueError, match="finish_sending"):
        transitions.outcome(1, "undelivered")  # only a provider's report says that
    with pytest.raises(ValueError, match="reschedule cannot move a 'sent'"):
        transitions.reschedule_change(SimpleNamespace(id=1, status="sent"), "scheduled", None, "sms", None, None, None)
    with pytest.raises(ValueError, match="report"):
        transitions.report(1, "queued")
    assert transitions.outcome(1, "sent")["o_status"] == "sent"
    delivered = transitions.outcome(1, "delivered")  # the outbox: it arrived as it was taken
    assert delivered["o_status"] == "delivered" and delivered["o_delivered_at"] == delivered["o_sent_at"] is not None
