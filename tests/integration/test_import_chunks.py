"""A CSV import checks chunk k+1 while chunk k is written: the outcome is the one-pass outcome, all or nothing."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from drip.extensions import db
from drip.models import Delivery, Enrollment, Learner, utcnow
from drip.services.learners import imports
from drip.services.learners.bulk import LearnerStore
from drip.services.learners.upsert import LearnerInput, parse_csv, upsert_learners
from drip.services.programs.enrolment import NewcomerEnrolment, enrol
from tests.support.engine_factory import make_sequence, make_session

HEADER = "external_id,name,phone,email,timezone\n"


def _rows(count: int, start: int = 0) -> str:
    return "".join(
        f"HR-{i},Learner {i},+1415{2000000 + i:07d},learner{i}@example.com,Europe/Paris\n"
        for i in range(start, start + count)
    )


def _session(trainer, steps: int = 3):
    sequence = make_sequence(trainer, [f"P{day}D" for day in range(1, steps + 1)])
    return make_session(trainer, [sequence], utcnow() + timedelta(days=1))


def _counts() -> tuple[int, int, int]:
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (Learner, Enrollment, Delivery))


def _import(trainer, text: str, ts=None, chunk: int = 2):
    upload = imports.keep_upload(trainer, text, filename="learners.csv", session_id=ts.id if ts else None)
    return imports.run_import(trainer, upload, default_region="US", training_session=ts, chunk=chunk)


@pytest.fixture()
def stores(monkeypatch):
    """The chunk sizes the import stored, in order (our own store, recorded)."""
    sizes: list[int] = []

    class Recorded(LearnerStore):
        def add(self, inputs):
            inputs = list(inputs)
            sizes.append(len(inputs))
            return super().add(inputs)

    monkeypatch.setattr(imports, "LearnerStore", Recorded)
    return sizes


def test_a_clean_file_is_stored_and_enrolled_chunk_by_chunk(app, trainer, stores):
    ts = _session(trainer)
    result = _import(trainer, HEADER + _rows(7), ts)
    assert result.ok and (result.created, result.updated, result.enrolled) == (7, 0, 7)
    assert stores == [2, 2, 2, 1]
    assert _counts() == (7, 7, 21)


def test_a_bad_row_in_a_later_chunk_stops_the_writes_and_rolls_back_the_earlier_chunks(app, trainer, stores):
    ts = _session(trainer)
    text = HEADER + _rows(5) + "HR-x,Broken,+1415555,nobody@example,Mars/Base\n" + _rows(3, start=5)
    result = _import(trainer, text, ts)
    assert stores == [2, 2]  # chunks 1 and 2 were written before chunk 3 was found bad, then nothing more
    assert not result.ok
    # The same problems, with the same messages and rows, as the preview lists.
    assert result.preview.errors == parse_csv(text, default_region="US").errors
    assert {e.field for e in result.preview.errors} == {"phone", "email", "timezone"}
    assert _counts() == (0, 0, 0)


def test_an_error_while_writing_chunk_k_rolls_back_everything_and_stops_the_checks(app, trainer, monkeypatch):
    ts = _session(trainer)
    real_add, calls = NewcomerEnrolment.add, []

    def failing_add(self, learners):
        calls.append(len(learners))
        if len(calls) == 3:
            raise RuntimeError("the database went away")
        return real_add(self, learners)

    monkeypatch.setattr(NewcomerEnrolment, "add", failing_add)
    upload = imports.keep_upload(trainer, HEADER + _rows(40), filename="learners.csv", session_id=ts.id)
    with pytest.raises(RuntimeError, match="went away"):
        imports.run_import(trainer, upload, default_region="US", training_session=ts, chunk=2)
    assert calls == [2, 2, 2]
    assert _counts() == (0, 0, 0)
    assert imports.progress(trainer, upload.id)["stage"] == "failed"
    assert not [t for t in threading.enumerate() if t.name == "read-ahead"]  # the checks stopped with it


def test_stored_learners_are_matched_as_in_one_pass_whatever_the_chunks(app, trainer):
    """U (lower id) and X share a phone; row 1 names X by its external id, row 2 gives only the phone.
    In one pass both are indexed before any row and the phone means U (the lower id): chunk by chunk
    too, although X was indexed with chunk 1 and U only with chunk 2."""
    [(u, _), (x, _)] = upsert_learners(
        trainer, [LearnerInput("U", "+12015550123"), LearnerInput("X", None, "x@example.com", external_id="EX")]
    )
    x.phone = "+12015550123"  # a phone shared by two people, as families do
    db.session.commit()
    u_id, x_id = u.id, x.id
    text = "external_id,name,phone,email\nEX,X renamed,,x2@example.com\n,U renamed,+12015550123,\n"
    result = _import(trainer, text, chunk=1)
    assert result.ok and (result.created, result.updated) == (0, 2)
    names = dict(db.session.execute(select(Learner.id, Learner.name)).all())
    assert names == {u_id: "U renamed", x_id: "X renamed"}


def test_learners_stored_before_are_enrolled_after_every_row_is_applied(app, trainer):
    """A known learner (already enrolled), one who left (comes back) and new ones, over several chunks."""
    ts = _session(trainer)
    [(kept, _), (gone, _)] = upsert_learners(
        trainer,
        [
            LearnerInput("Kept", "+12015550101", external_id="HR-1"),
            LearnerInput("Gone", "+12015550102", external_id="HR-3"),
        ],
    )
    enrol(ts, [kept, gone])
    db.session.execute(
        Enrollment.__table__.update().where(Enrollment.learner_id == gone.id).values(unenrolled_at=utcnow())
    )
    db.session.commit()
    result = _import(trainer, HEADER + _rows(5), ts)
    assert result.ok and (result.created, result.updated) == (3, 2)
    assert result.enrolled == 4  # 3 new, 1 back; "Kept" was enrolled already
    enrolled = db.session.scalars(select(Enrollment.learner_id).where(Enrollment.unenrolled_at.is_(None))).all()
    assert len(enrolled) == 5
