"""Finding learners: one search (name, phone, email, external id) and one page shape for every list;
by address; by unsubscribe token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select

from drip.extensions import db
from drip.models import Enrollment, Learner, Trainer

PAGE_SIZE = 50
MAX_PAGE = 100_000
MAX_QUERY = 100


@dataclass
class Page:
    """One page of a longer list, with what a pager needs."""

    items: list[Any]
    total: int
    page: int
    size: int

    @property
    def pages(self) -> int:
        """How many pages the whole list fills (at least one)."""
        return max((self.total + self.size - 1) // self.size, 1)


def clean_query(raw: str | None) -> str:
    """What the trainer typed, trimmed to a length worth searching."""
    return (raw or "").strip()[:MAX_QUERY]


def clean_page(raw: int | None) -> int:
    """A page number within range, 1 when missing or silly."""
    return min(max(raw or 1, 1), MAX_PAGE)


def _matching(query: Select, q: str) -> Select:
    if not q:
        return query
    pattern = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    digits = "".join(ch for ch in q if ch in "0123456789")
    conditions = [
        func.lower(Learner.name).like(pattern, escape="\\"),
        func.lower(Learner.email).like(pattern, escape="\\"),
        func.lower(Learner.external_id).like(pattern, escape="\\"),
    ]
    # Phones are stored as +15551234567; "555 123" or "(555) 123-4567" should still find them.
    conditions.append(Learner.phone.like(f"%{digits}%") if digits else Learner.phone.like(pattern, escape="\\"))
    return query.where(or_(*conditions))


def _page(query: Select, page: int, size: int, *order) -> Page:
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    page = min(page, max((total + size - 1) // size, 1))
    rows = db.session.execute(query.order_by(*order).offset((page - 1) * size).limit(size)).all()
    items = [row[0] if len(row) == 1 else tuple(row) for row in rows]
    return Page(items, total, page, size)


def learners(trainer_id: int, q: str = "", page: int = 1, size: int = PAGE_SIZE) -> Page:
    """The trainer's learners matching q, by name."""
    query = _matching(select(Learner).where(Learner.trainer_id == trainer_id), q)
    return _page(query, page, size, func.lower(Learner.name), Learner.id)


def enrolled(session_id: int, q: str = "", page: int = 1, size: int = PAGE_SIZE) -> Page:
    """(learner, enrollment) pairs of a session matching q, by name."""
    query = _matching(
        select(Learner, Enrollment)
        .join(Enrollment, Enrollment.learner_id == Learner.id)
        .where(Enrollment.session_id == session_id, Enrollment.unenrolled_at.is_(None)),
        q,
    )
    return _page(query, page, size, func.lower(Learner.name), Learner.id)


def _candidates(trainer_id: int, session_id: int, q: str) -> Select:
    taken = select(Enrollment.learner_id).where(Enrollment.session_id == session_id, Enrollment.unenrolled_at.is_(None))
    return _matching(
        select(Learner).where(Learner.trainer_id == trainer_id, Learner.id.not_in(taken), Learner.erased_at.is_(None)),
        q,
    )


def candidates(trainer_id: int, session_id: int, q: str = "", page: int = 1, size: int = 20) -> Page:
    """The trainer's learners not yet in the session and matching q, offered for enrolment."""
    return _page(_candidates(trainer_id, session_id, q), page, size, func.lower(Learner.name), Learner.id)


def all_candidates(trainer_id: int, session_id: int, q: str) -> list[Learner]:
    """Every learner "Enrol all matching" means: the same search as the picker, without pages."""
    return list(db.session.scalars(_candidates(trainer_id, session_id, q).order_by(Learner.id)))


def with_address(trainer: Trainer, field: str, address: str) -> Learner | None:
    """The trainer's first learner with this phone (field "phone") or email (field "email")."""
    column = getattr(Learner, field)
    return db.session.scalar(
        select(Learner).where(Learner.trainer_id == trainer.id, column == address).order_by(Learner.id).limit(1)
    )


def by_unsubscribe_token(token: str) -> Learner | None:
    """The learner an unsubscribe link belongs to, or None."""
    if not 0 < len(token) <= 64:
        return None
    return db.session.scalar(select(Learner).where(Learner.unsubscribe_token == token))
