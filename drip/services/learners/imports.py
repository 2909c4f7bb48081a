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
from drip.services.programs.enrolment import add_enrolments
from drip.services.learners.bulk import store_learners
from drip.services.learners.upsert import CsvPreview, parse_csv

UPLOAD_TTL = 3600
CHUNK = 500  # learners stored between two progress updates


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
    trainer: Trainer, upload: Upload, *, default_region: str, training_session: TrainingSession | None = None
) -> ImportResult:
    """Store every learner of the upload (and enrol them), in one transaction: all rows or none."""
    _report(upload, 0, 0, "checking")
    preview = parse_csv(upload.text, default_region=default_region)
    if not preview.ok:
        return ImportResult(preview)
    learners = preview.learners
    total = len(learners)
    _report(upload, 0, total, "saving")
    try:
        stored = store_learners(
            trainer, learners, chunk=CHUNK, progress=lambda done: _report(upload, done, total, "saving")
        )
        enrolled = 0
        if training_session is not None:
            _report(upload, total, total, "enrolling")
            enrolled = add_enrolments(training_session, [learner for learner, _ in stored], source="csv").created
        db.session.commit()
    except Exception:
        db.session.rollback()
        _report(upload, 0, total, "failed")
        raise
    _report(upload, total, total, "done")
    redis_store.connection.delete(_key(upload.id))
    created = sum(1 for _, was_created in stored if was_created)
    return ImportResult(preview, created=created, updated=total - created, enrolled=enrolled)
