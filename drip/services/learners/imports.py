"""CSV imports in two steps: an upload kept server-side for a preview, then all rows stored at once.

The upload lives in Redis for an hour under an unguessable id, bound to its trainer; progress of
the import is written next to it so the page can show a bar while the request runs.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

from drip.extensions import db, redis_store
from drip.models import Trainer, TrainingSession
from drip.domain.learner_csv import CsvCheck
from drip.heap import older_objects_set_aside
from drip.read_ahead import ReadAhead
from drip.services.programs.enrolment import NewcomerEnrolment, add_enrolments
from drip.services.learners.bulk import LearnerStore
from drip.services.learners.upsert import CsvPreview

UPLOAD_TTL = 3600
CHUNK = 1000  # rows checked, then stored, at a time (and a progress update after each)


@dataclass(frozen=True)
class Upload:
    """A stored upload: whose it is, the text, and the session it is for (if any)."""

    id: str
    trainer_id: int
    session_id: int | None
    filename: str
    text: str


def _key(upload_id: str, suffix: str = "") -> str:
    return f"drip:import:{upload_id}{suffix}"


def keep_upload(trainer: Trainer, text: str, *, filename: str = "", session_id: int | None = None) -> Upload:
    """Store an uploaded file for the preview and the confirmation that follows it."""
    upload = Upload(secrets.token_urlsafe(18), trainer.id, session_id, filename[:200], text)
    payload = json.dumps(
        {"trainer_id": trainer.id, "session_id": session_id, "filename": upload.filename, "text": text}
    )
    redis_store.connection.set(_key(upload.id), payload, ex=UPLOAD_TTL)
    return upload


def find_upload(trainer: Trainer, upload_id: str) -> Upload | None:
    """The trainer's upload with this id, or None (expired, unknown or someone else's)."""
    if (
        not isinstance(upload_id, str)
        or not upload_id.replace("-", "").replace("_", "").isalnum()
        or len(upload_id) > 64
    ):
        return None
    raw = redis_store.connection.get(_key(upload_id))
    if raw is None:
        return None
    data = json.loads(raw)
    if data["trainer_id"] != trainer.id:
        return None
    return Upload(upload_id, data["trainer_id"], data["session_id"], data["filename"], data["text"])


def progress(trainer: Trainer, upload_id: str) -> dict | None:
    """How far the import of the trainer's upload is ({"done", "total", "stage"}), or None if unknown."""
    raw = redis_store.connection.get(_key(upload_id, ":progress")) if len(upload_id) <= 64 else None
    if raw is None:
        return {"done": 0, "total": 0, "stage": "waiting"} if find_upload(trainer, upload_id) else None
    data = json.loads(raw)
    if data.pop("trainer_id") != trainer.id:
        return None
    return data


def _report(upload: Upload, done: int, total: int, stage: str) -> None:
    payload = {"done": done, "total": total, "stage": stage, "trainer_id": upload.trainer_id}
    redis_store.connection.set(_key(upload.id, ":progress"), json.dumps(payload), ex=UPLOAD_TTL)


@dataclass(frozen=True)
class ImportResult:
    """What an import did, or the preview that stopped it."""

    preview: CsvPreview
    created: int = 0
    updated: int = 0
    enrolled: int = 0

    @property
    def ok(self) -> bool:
        """True when the rows were stored."""
        return self.preview.ok


def run_import(
    trainer: Trainer,
    upload: Upload,
    *,
    default_region: str,
    training_session: TrainingSession | None = None,
    chunk: int = CHUNK,
) -> ImportResult:
    """Store every learner of the upload (and enrol them), in one transaction: all rows or none.

    The rows are checked a chunk ahead of the writes (the checks run while the database works on the
    previous chunk); a chunk with a bad row stops the writes, the rest of the file is still checked so
    the preview lists every problem, and everything written is rolled back."""
    _report(upload, 0, 0, "checking")
    check = CsvCheck(upload.text, default_region=default_region)
    estimate = max(sum(1 for line in upload.text.splitlines() if line.strip()) - 1, 0)  # for the bar only
    try:
        with older_objects_set_aside(), ReadAhead(check.chunks(chunk)) as chunks:
            stored, enrolled = _store(trainer, training_session, chunks, upload, estimate)
        preview = check.preview
        if stored is None or preview is None or not preview.ok:
            db.session.rollback()
            _report(upload, 0, 0, "failed")
            return ImportResult(preview or CsvPreview([], []))
        db.session.commit()
    except Exception:
        db.session.rollback()
        _report(upload, 0, estimate, "failed")
        raise
    total = len(stored)
    _report(upload, total, total, "done")
    redis_store.connection.delete(_key(upload.id))
    created = sum(1 for _, was_created in stored if was_created)
    return ImportResult(preview, created=created, updated=total - created, enrolled=enrolled)


def _store(trainer, training_session, chunks, upload: Upload, estimate: int) -> tuple[list | None, int]:
    """Store (and enrol) each chunk of checked rows as it comes; (stored pairs, enrolled), or (None, 0)
    once a chunk has a bad row (the chunks after it are only read, for their problems)."""
    store = LearnerStore(trainer)
    newcomers = NewcomerEnrolment(training_session, source="csv", now=store.now) if training_session else None
    stored: list = []
    failed = False
    ahead = iter(chunks)
    rows = next(ahead, None)
    while rows is not None:
        failed = failed or any(row.learner is None for row in rows)
        if failed:
            rows = next(ahead, None)
            continue
        pairs = store.add([row.learner for row in rows])
        stored += pairs
        # Taken before the longest write (the deliveries), so that the checks of the chunk after
        # it run while this process waits for the database rather than between short statements.
        rows = next(ahead, None)
        if newcomers is not None:
            newcomers.add([learner for learner, created in pairs if created])
        _report(upload, len(stored), max(estimate, len(stored)), "saving")
    if failed:
        return None, 0
    store.finish()
    if newcomers is None:
        return stored, 0
    _report(upload, len(stored), len(stored), "enrolling")
    # Learners stored before: some are enrolled already, some come back; after every row is applied.
    others = add_enrolments(
        training_session, [learner for learner, created in stored if not created], source="csv", now=store.now
    )
    return stored, newcomers.enrolled + others.created
