"""Finding learners: a trainer's list by name, phone or email; by address; by unsubscribe token."""
from __future__ import annotations

from sqlalchemy import func, or_, select

from drip.extensions import db
from drip.models import Learner, Trainer


def search(trainer: Trainer, q: str, *, page: int, page_size: int) -> tuple[list[Learner], int]:
    """One page of the trainer's learners whose name, email or phone contains `q`, and how many match."""
    query = select(Learner).where(Learner.trainer_id == trainer.id)
    if q:
        pattern = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(func.lower(Learner.name).like(pattern, escape="\\"),
                                func.lower(Learner.email).like(pattern, escape="\\"),
                                Learner.phone.like(pattern, escape="\\")))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    learners = list(db.session.scalars(query.order_by(func.lower(Learner.name), Learner.id)
                                       .offset((page - 1) * page_size).limit(page_size)))
    return learners, total


def with_address(trainer: Trainer, field: str, address: str) -> Learner | None:
    """The trainer's first learner with this phone (field "phone") or email (field "email")."""
    column = getattr(Learner, field)
    return db.session.scalar(select(Learner).where(Learner.trainer_id == trainer.id, column == address)
                             .order_by(Learner.id).limit(1))


def by_unsubscribe_token(token: str) -> Learner | None:
    """The learner an unsubscribe link belongs to, or None."""
    if not 0 < len(token) <= 64:
        return None
    return db.session.scalar(select(Learner).where(Learner.unsubscribe_token == token))
