"""Keyset pagination: pages that stay correct while rows are added, with an opaque cursor."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, and_, or_

from drip.extensions import db
from drip.models.types import UTCDateTime

T = TypeVar("T")


class CursorInvalid(ValueError):
    """A cursor we did not hand out (or one from another list)."""


@dataclass(frozen=True)
class Page(Generic[T]):
    """Some rows, and the cursor of the next page when there is one."""

    items: list[T]
    next_cursor: str | None


def _encode(values: list[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode(cursor: str, columns: tuple) -> list[Any]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise CursorInvalid("cursor is not valid; use the next_cursor of a previous page") from None
    if not isinstance(raw, list) or len(raw) != len(columns):
        raise CursorInvalid("cursor is not valid; use the next_cursor of a previous page")
    values = []
    for value, column in zip(raw, columns):
        try:
            if isinstance(column.type, UTCDateTime):
                value = datetime.fromisoformat(value)
                if value.tzinfo is None:
                    raise ValueError
                value = value.astimezone(timezone.utc)
            elif not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**31:
                raise ValueError
        except (TypeError, ValueError, OverflowError):
            raise CursorInvalid("cursor is not valid; use the next_cursor of a previous page") from None
        values.append(value)
    return values


def _after(columns: tuple, values: list[Any]):
    # (a, b) > (x, y) spelled out, so each value is bound with its own column's type.
    first, *rest = zip(columns, values)
    condition = first[0] > first[1]
    if rest:
        condition = or_(condition, and_(first[0] == first[1], _after(tuple(c for c, _ in rest), [v for _, v in rest])))
    return condition


def paginate(query: Select, order: tuple, *, limit: int, cursor: str | None) -> Page:
    """One page of `query` in ascending `order` (whose last column must be unique)."""
    if cursor:
        query = query.where(_after(order, _decode(cursor, order)))
    rows = list(db.session.scalars(query.order_by(*order).limit(limit + 1)))
    if len(rows) <= limit:
        return Page(rows, None)
    rows = rows[:limit]
    last = rows[-1]
    return Page(rows, _encode([getattr(last, column.key) for column in order]))
