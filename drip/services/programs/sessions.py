"""Training sessions: create, move, cancel; pending deliveries follow every change."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import select

from drip.domain import catalog, cohort
from drip.domain.routing import SessionWindow
from drip.extensions import db
from drip.domain.zones import zone
from drip.models import Sequence, Step, TrainingSession, session_sequences, utcnow
from drip.services.delivery import transitions
from drip.services.media import slides
from drip.services.programs.planning import CANCELLED, CANCELLED_REASON, reconcile


class SessionInvalid(ValueError):
    """Session fields that cannot be stored, with a reason per field."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{field}: {reason}" for field, reason in errors.items()))
        self.errors = errors


def _check(title, starts_at, ends_at, timezone, join_url, errors: dict[str, str]) -> None:
    if not isinstance(title, str) or not title.strip():
        errors["title"] = "a title is required"
    elif len(title.strip()) > 300:
        errors["title"] = "is longer than 300 characters"
    for name, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if not isinstance(value, datetime) or value.utcoffset() is None:
            errors[name] = "must be a date and time with a time zone offset"
    if "starts_at" not in errors and "ends_at" not in errors and ends_at < starts_at:
        errors["ends_at"] = "the session ends before it starts"
    if not isinstance(timezone, str) or zone(timezone) is None:
        errors["timezone"] = f"unknown time zone {timezone!r}"
    if join_url is not None and len(join_url) > 500:
        errors["join_url"] = "is longer than 500 characters"
    elif join_url and not is_web_address(join_url):
        errors["join_url"] = "give a web address starting with https:// (or http://)"


def is_web_address(url: str) -> bool:
    """An http(s) URL with a host and no spaces: anything else (javascript:, data:) would run or mislead when clicked."""
    url = url.strip()
    if not url or any(ch.isspace() or ord(ch) < 32 for ch in url):
        return False
    parts = urlsplit(url)
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def _sequences(trainer_id: int, sequence_ids: Iterable[int], errors: dict[str, str]) -> list[Sequence]:
    ids = list(dict.fromkeys(sequence_ids))
    found = (
        {
            s.id: s
            for s in db.session.scalars(select(Sequence).where(Sequence.id.in_(ids), Sequence.trainer_id == trainer_id))
        }
        if ids
        else {}
    )
    missing = [str(i) for i in ids if i not in found]
    if missing:
        errors["sequence_ids"] = f"no such sequence: {', '.join(missing)}"
    return [found[i] for i in ids if i in found]


def _check_moderation(moderation, errors: dict[str, str]) -> None:
    if moderation not in catalog.names(catalog.MODERATIONS):
        errors["moderation"] = f"must be one of {', '.join(catalog.names(catalog.MODERATIONS))}"


def create_session(
    trainer,
    *,
    title,
    starts_at,
    ends_at,
    timezone,
    join_url="",
    sequence_ids=(),
    join_keyword=None,
    cohort_page: cohort.Settings | None = None,
    moderation=catalog.DEFAULT_MODERATION,
    slide_ids=(),
    now=None,
) -> TrainingSession:
    """Create a session using these sequences (SessionInvalid lists every bad field); commits."""
    errors: dict[str, str] = {}
    _check(title, starts_at, ends_at, timezone, join_url, errors)
    sequences = _sequences(trainer.id, sequence_ids, errors)
    _check_moderation(moderation, errors)
    shown = slides.check_slides(trainer.id, slide_ids or (), errors)
    if errors:
        raise SessionInvalid(errors)
    training_session = TrainingSession(
        moderation=moderation,
        trainer_id=trainer.id,
        title=title.strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        timezone=timezone,
        join_url=(join_url or "").strip(),
        join_keyword=(join_keyword or "").strip().upper() or None,
        sequences=sequences,
        created_at=now or utcnow(),
    )
    apply_cohort_page(training_session, cohort_page)
    db.session.add(training_session)
    slides.set_slides(training_session, shown)
    db.session.commit()
    return training_session


def update_session(
    ts: TrainingSession,
    *,
    title=None,
    starts_at=None,
    ends_at=None,
    timezone=None,
    join_url=None,
    sequence_ids=None,
    cohort_page: cohort.Settings | None = None,
    moderation=None,
    slide_ids=None,
    now=None,
) -> TrainingSession:
    """Change a session; moving it reschedules every delivery not yet sent, new sequences get deliveries.

    A new start without a new end moves the whole session: it keeps its length.
    """
    now = now or utcnow()
    if (
        starts_at is not None
        and ends_at is None
        and isinstance(starts_at, datetime)
        and starts_at.utcoffset() is not None
    ):
        ends_at = ts.ends_at + (starts_at - ts.starts_at)
    new = {
        "title": ts.title if title is None else title,
        "starts_at": starts_at or ts.starts_at,
        "ends_at": ends_at or ts.ends_at,
        "timezone": timezone or ts.timezone,
        "join_url": ts.join_url if join_url is None else join_url,
    }
    errors: dict[str, str] = {}
    _check(new["title"], new["starts_at"], new["ends_at"], new["timezone"], new["join_url"], errors)
    sequences = ts.sequences if sequence_ids is None else _sequences(ts.trainer_id, sequence_ids, errors)
    if moderation is not None:
        _check_moderation(moderation, errors)
    shown = None if slide_ids is None else slides.check_slides(ts.trainer_id, slide_ids, errors)
    if errors:
        raise SessionInvalid(errors)
    moved = new["starts_at"] != ts.starts_at or new["ends_at"] != ts.ends_at or new["timezone"] != ts.timezone
    added = {s.id for s in sequences} - {s.id for s in ts.sequences}
    ts.title, ts.starts_at, ts.ends_at = new["title"].strip(), new["starts_at"], new["ends_at"]
    ts.timezone, ts.join_url = new["timezone"], (new["join_url"] or "").strip()
    ts.sequences = list(sequences)
    apply_cohort_page(ts, cohort_page)
    ts.moderation = moderation or ts.moderation
    if shown is not None:
        slides.set_slides(ts, shown)
    db.session.flush()
    if ts.status != "cancelled" and (moved or added or sequence_ids is not None):
        reconcile(ts, now)
    db.session.commit()
    return ts


def apply_cohort_page(ts: TrainingSession, settings: cohort.Settings | None) -> None:
    """Set what the settings name of the session's cohort page (publish, days_after); the rest stays."""
    if settings is None:
        return
    if settings.publish is not None:
        ts.cohort_publish = settings.publish
    if settings.days_after is not None:
        ts.cohort_days_after = settings.days_after
    if settings.slides_early is not None:
        ts.slides_early = settings.slides_early


def cancel_session(ts: TrainingSession, *, now=None) -> int:
    """Cancel a session: every pending delivery is skipped; returns how many."""
    now = now or utcnow()
    ts.status = "cancelled"
    skipped = transitions.cancel(ts.id, code=CANCELLED, reason=CANCELLED_REASON, now=now)
    db.session.commit()
    return skipped


def sync_step(step: Step, *, now=None) -> int:
    """After a step is created or edited: move its pending deliveries and create missing ones (flushes)."""
    now = now or utcnow()
    session_ids = select(session_sequences.c.session_id).where(session_sequences.c.sequence_id == step.sequence_id)
    changed = 0
    for ts in db.session.scalars(
        select(TrainingSession).where(TrainingSession.id.in_(session_ids), TrainingSession.status != "cancelled")
    ):
        changed += reconcile(ts, now, step_ids={step.id})
    db.session.flush()
    return changed


def join_keyword_taken(keyword: str, starts_at: datetime, ends_at: datetime, session_id: int | None) -> bool:
    """True when another session live at the same time already uses this join keyword."""
    query = select(TrainingSession).where(
        TrainingSession.join_keyword == keyword, TrainingSession.status != "cancelled"
    )
    for other in db.session.scalars(query):
        if other.id != session_id and SessionWindow(other.id, other.starts_at, other.ends_at).overlaps(
            starts_at, ends_at
        ):
            return True
    return False


def session_phase(ts: TrainingSession, now: datetime) -> str:
    """Where a session stands: "upcoming", "live" (15 minutes either side), "past" or "cancelled"."""
    if ts.status == "cancelled":
        return "cancelled"
    if SessionWindow(ts.id, ts.starts_at, ts.ends_at).is_live(now):
        return "live"
    return "upcoming" if now < ts.starts_at else "past"
