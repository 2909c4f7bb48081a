"""Which language Drip writes to a learner in when it answers them (HELP, verdicts, acknowledgements)."""

from __future__ import annotations

from drip.domain.languages import reading
from drip.models import Learner, Step, TrainingSession


def language_for(
    learner: Learner | None,
    *,
    step: Step | None = None,
    training_session: TrainingSession | None = None,
    hint: str | None = None,
) -> str:
    """The learner's language when Drip writes it; else `hint` (the language of the keyword they texted),
    else the language of the step's sequence (or the session's first), else English."""
    sequence_language = None
    if step is not None and step.sequence is not None:
        sequence_language = step.sequence.language
    elif training_session is not None and training_session.sequences:
        sequence_language = training_session.sequences[0].language
    return reading(learner.language if learner else None, hint or sequence_language)
