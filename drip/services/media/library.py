"""The trainer's media library: add a checked file, list it with where each item is used, delete when unused."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath

from sqlalchemy import select
from sqlalchemy.orm import undefer

from drip.domain.media import CheckedFile, check_file
from drip.extensions import db
from drip.models import MediaItem, Sequence, Step, TrainingSession, session_slides

UPLOAD = "upload"


@dataclass(frozen=True)
class Use:
    """Where a library item is used: a step of a sequence, or a session's slides."""

    what: str  # "step" or "session"
    id: int  # the sequence's id for a step (the page it is edited on), else the session's
    label: str


class MediaInUse(ValueError):
    """A library item a step or session still uses cannot be deleted."""

    def __init__(self, uses: list[Use]) -> None:
        names = "; ".join(use.label for use in uses)
        super().__init__(f"Still used by {names}. Remove it there first.")
        self.uses = uses


def public_url(config: Mapping, token: str) -> str:
    """The item's address for the world (Twilio fetches it, mail clients load it): PUBLIC_BASE_URL/m/<token>."""
    return f"{str(config['PUBLIC_BASE_URL']).rstrip('/')}/m/{token}"


def new_token() -> str:
    """An unguessable token for a media URL."""
    return secrets.token_urlsafe(24)


def _clean_name(filename: str, checked: CheckedFile) -> str:
    # Only the base name, printable, with the extension the bytes call for (not the one claimed).
    stem = PurePosixPath((filename or "").replace("\\", "/")).stem
    stem = "".join(ch for ch in stem if ch.isprintable() and ch not in '"<>\x00').strip()[:150] or "file"
    return f"{stem}.{checked.media_type.extension}"


def fill(item: MediaItem, checked: CheckedFile) -> MediaItem:
    """Copy a checked file's bytes and description onto a media row."""
    item.kind, item.content_type = checked.media_type.kind, checked.content_type
    item.data, item.thumbnail, item.size = checked.data, checked.thumbnail, len(checked.data)
    item.width, item.height, item.status = checked.width, checked.height, "stored"
    return item


def add_to_library(trainer_id: int, data: bytes, filename: str = "", alt_text: str = "") -> MediaItem:
    """Check a file (MediaRefused when it is not one we take) and add it to the trainer's library; commits."""
    checked = check_file(data)
    name = _clean_name(filename, checked)
    alt = " ".join((alt_text or "").replace("\x00", "").split())[:300] or PurePosixPath(name).stem
    item = fill(
        MediaItem(trainer_id=trainer_id, token=new_token(), source=UPLOAD, filename=name, alt_text=alt), checked
    )
    db.session.add(item)
    db.session.commit()
    return item


def owned_item(trainer_id: int, media_id: int) -> MediaItem | None:
    """The trainer's library item with this id, or None (another trainer's is as missing as a made-up one)."""
    item = db.session.get(MediaItem, media_id) if 0 < media_id < 2**31 else None
    return item if item is not None and item.trainer_id == trainer_id and item.source == UPLOAD else None


def image_problem(trainer_id: int, media_id: int | None) -> str | None:
    """Why this id cannot be a step's picture (not the trainer's image), or None when it can (or is None)."""
    if media_id is None:
        return None
    item = owned_item(trainer_id, media_id)
    if item is None:
        return "no picture with this id in your media library"
    if item.kind != "image":
        return "a step sends a picture (JPEG, PNG, GIF or WebP), not a PDF: show slides on the cohort page"
    return None


def items(trainer_id: int, kind: str | None = None) -> list[MediaItem]:
    """The trainer's library, newest first (bytes not loaded); only images or only PDFs with `kind`."""
    query = select(MediaItem).where(MediaItem.trainer_id == trainer_id, MediaItem.source == UPLOAD)
    if kind:
        query = query.where(MediaItem.kind == kind)
    return list(db.session.scalars(query.order_by(MediaItem.created_at.desc(), MediaItem.id.desc())))


def uses(media_ids: list[int]) -> dict[int, list[Use]]:
    """Where each item is used: steps not deleted, and sessions' slides; two queries for any number of items."""
    found: dict[int, list[Use]] = {media_id: [] for media_id in media_ids}
    if not media_ids:
        return found
    steps = db.session.execute(
        select(Step.image_id, Step.position, Step.kind, Sequence.id, Sequence.name)
        .join(Sequence, Sequence.id == Step.sequence_id)
        .where(Step.image_id.in_(media_ids), Step.deleted_at.is_(None))
        .order_by(Sequence.name, Step.position)
    )
    for media_id, position, kind, sequence_id, name in steps:
        found[media_id].append(Use("step", sequence_id, f"step {position + 1} ({kind}) of “{name}”"))
    sessions = db.session.execute(
        select(session_slides.c.media_id, TrainingSession.id, TrainingSession.title)
        .join(TrainingSession, TrainingSession.id == session_slides.c.session_id)
        .where(session_slides.c.media_id.in_(media_ids))
        .order_by(TrainingSession.starts_at)
    )
    for media_id, session_id, title in sessions:
        found[media_id].append(Use("session", session_id, f"the slides of “{title}”"))
    return found


def delete(item: MediaItem) -> None:
    """Delete a library item (MediaInUse while a step or session uses it); commits."""
    if in_use := uses([item.id])[item.id]:
        raise MediaInUse(in_use)
    db.session.delete(item)
    db.session.commit()


def served(token: str, *, thumbnail: bool = False) -> MediaItem | None:
    """The stored item behind a public token, its bytes (or thumbnail) loaded; None for an unknown or unfetched one."""
    if not token or len(token) > 64:
        return None
    return db.session.scalar(
        select(MediaItem)
        .options(undefer(MediaItem.thumbnail if thumbnail else MediaItem.data))
        .where(MediaItem.token == token, MediaItem.status == "stored")
    )
