"""The SQL statements the app's engine runs inside a `with` block: how many, and which kinds.

A test of a batch's cost counts statements (a fixed number per batch, however many texts); a test
of what a vote loads asks which statements read replies as rows. Whitespace is folded, so a
fragment matches however SQLAlchemy wrapped the statement's lines.
"""

from __future__ import annotations

from sqlalchemy import event

from drip.extensions import db


class Statements:
    """The statements run while active, in order (call inside an app context)."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __enter__(self) -> Statements:
        event.listen(db.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc) -> None:
        event.remove(db.engine, "before_cursor_execute", self._seen)

    def _seen(self, _connection, _cursor, statement, *args) -> None:
        self.seen.append(" ".join(statement.split()))

    @property
    def count(self) -> int:
        """How many statements ran."""
        return len(self.seen)

    def inserts(self, table: str) -> int:
        """How many INSERTs into this table ran."""
        return sum(1 for statement in self.seen if statement.upper().startswith(f"INSERT INTO {table.upper()} "))

    def selects(self, fragment: str) -> int:
        """How many SELECTs containing this fragment (e.g. "replies.body", "JOIN steps") ran."""
        return sum(1 for statement in self.seen if statement.upper().startswith("SELECT") and fragment in statement)
