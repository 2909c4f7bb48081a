"""The session page's languages: how many learners read each language, and which steps lack a translation."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select

from drip.domain import languages
from drip.domain.translations import missing
from drip.extensions import db
from drip.models import Enrollment, Learner, Step, TrainingSession


@dataclass(frozen=True)
class StepGap:
    """A step some of the session's learners would read in its own language instead of theirs."""

    step: Step
    languages: list[str]  # the codes it lacks
    learners: int  # how many enrolled learners that is


@dataclass
class SessionLanguages:
    """Learners per language (what they read) and the steps that lack a translation for some of them."""

    readers: list[tuple[str, str, int]] = field(default_factory=list)  # (code, name, learners)
    other_tags: list[tuple[str, int]] = field(default_factory=list)  # tags Drip does not write, as given
    gaps: list[StepGap] = field(default_factory=list)

    @property
    def several(self) -> bool:
        """Whether the page has anything to say: more than one language, or a gap."""
        return len(self.readers) > 1 or bool(self.gaps) or bool(self.other_tags)


def session_languages(ts: TrainingSession) -> SessionLanguages:
    """Who reads which language in this session (by the first sequence's language), and each step's gaps."""
    tags = Counter(
        dict(
            db.session.execute(
                select(Learner.language, func.count())
                .join(Enrollment, Enrollment.learner_id == Learner.id)
                .where(Enrollment.session_id == ts.id, Enrollment.unenrolled_at.is_(None))
                .group_by(Learner.language)
            ).all()
        )
    )
    result = SessionLanguages()
    if not tags:
        return result
    main = ts.sequences[0].language if ts.sequences else languages.DEFAULT
    reads: Counter[str] = Counter()
    for tag, count in tags.items():
        reads[languages.reading(tag, main)] += count
        if tag and languages.primary(tag) not in languages.SUPPORTED:
            result.other_tags.append((tag, count))
    result.readers = [(code, languages.name(code), reads[code]) for code in languages.SUPPORTED if reads[code]]
    for sequence in ts.sequences:
        read_here: Counter[str] = Counter()
        for tag, count in tags.items():
            read_here[languages.reading(tag, sequence.language)] += count
        for step in sequence.steps:
            lacking = missing(step.translations, list(read_here), sequence.language)
            if lacking:
                result.gaps.append(StepGap(step, lacking, sum(read_here[code] for code in lacking)))
    return result
