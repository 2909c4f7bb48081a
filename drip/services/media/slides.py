"""A session's slides: images and PDFs of the trainer's library, shown on the cohort page from the session's start."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select

from drip.extensions import db
from drip.models import MediaItem, TrainingSession, session_slides
from drip.services.media.library import UPLOAD

MAX_SLIDES = 30


@dataclass(frozen=True)
class Slide:
    """A slide as the cohort page shows it: a picture, or a PDF to open."""

    url: str
    thumbnail_url: str | None
    kind: str  # image | pdf
    filename: str
    alt: str


def check_slides(trainer_id: int, slide_ids: Iterable[int], errors: dict[str, str]) -> list[MediaItem]:
    """The trainer's library items with these ids, in the order given (duplicates dropped); names what is not."""
    wanted = list(dict.fromkeys(int(i) for i in slide_ids))
    if len(wanted) > MAX_SLIDES:
        errors["slide_ids"] = f"at most {MAX_SLIDES} slides"
        return []
    found = {
        item.id: item
        for item in db.session.scalars(
            select(MediaItem).where(
                MediaItem.id.in_(wanted),
                MediaItem.trainer_id == trainer_id,
                MediaItem.source == UPLOAD,
                MediaItem.status == "stored",
            )
        )
    }
    if missing := [str(i) for i in wanted if i not in found]:
        errors["slide_ids"] = f"no image or PDF with the id(s) {', '.join(missing)} in your media library"
    return [found[i] for i in wanted if i in found]


def set_slides(ts: TrainingSession, items: list[MediaItem]) -> None:
    """Make these items the session's slides, in this order; flushes."""
    db.session.flush()
    db.session.execute(delete(session_slides).where(session_slides.c.session_id == ts.id))
    if items:
        rows = [{"session_id": ts.id, "media_id": item.id, "position": n} for n, item in enumerate(items)]
        db.session.execute(insert(session_slides), rows)
    db.session.expire(ts, ["slides"])


def visible(ts: TrainingSession, now: datetime) -> list[Slide]:
    """The slides the cohort page shows now: from the session's start, or at once when the trainer said so."""
    if not ts.slides_early and now < ts.starts_at:
        return []
    return [
        Slide(
            url=f"/m/{item.token}",
            thumbnail_url=f"/m/{item.token}/thumbnail" if item.kind == "image" else None,
            kind=item.kind,
            filename=item.filename,
            alt=item.alt_text,
        )
        for item in ts.slides
    ]
