"""What a trainer can file a text as, for the select boxes of the board, replies, learner and inbox pages.

One option value names the whole target: "practice_report", or "poll_vote:<step id>:<choice index>"
for a vote on one choice of one poll (the same for quiz answers).
"""
from __future__ import annotations

from drip.domain.choices import poll_question
from drip.models import TrainingSession
from drip.services.refile import KINDS, RefileInvalid
from drip.services.replies import session_steps

LABELS = {
    "live_question": "Live question", "poll_vote": "Poll vote", "quiz_answer": "Quiz answer",
    "practice_report": "Practice report", "discussion_reply": "Discussion reply", "unclassified": "Unclassified",
}
_CHOICE_KINDS = {"poll_vote": "poll", "quiz_answer": "quiz"}


def options(training_session: TrainingSession | None) -> list[dict]:
    """Option groups: the plain kinds, then one group per poll or quiz with an option per choice."""
    plain = [{"value": kind, "label": LABELS[kind]} for kind in KINDS if kind not in _CHOICE_KINDS]
    groups = [{"label": "File as", "options": plain}]
    if training_session is None:
        return groups
    for step in session_steps(training_session):
        kind = next((reply_kind for reply_kind, step_kind in _CHOICE_KINDS.items() if step_kind == step.kind), None)
        if kind is None:
            continue
        groups.append({"label": f"{LABELS[kind]}: {poll_question(step.body)}", "options": [
            {"value": f"{kind}:{step.id}:{index}", "label": f"{index + 1}. {choice}"}
            for index, choice in enumerate(step.choices or ())
        ]})
    return groups


def parse_target(value: str) -> tuple[str, int | None, int | None]:
    """(kind, step_id, choice_index) from an option value; RefileInvalid when it is not one."""
    kind, _, rest = (value or "").partition(":")
    if kind not in KINDS:
        raise RefileInvalid("kind", "choose what to file it as")
    if not rest:
        return kind, None, None
    step, _, choice = rest.partition(":")
    if kind not in _CHOICE_KINDS or not step.isdigit() or not choice.isdigit():
        raise RefileInvalid("kind", "choose what to file it as")
    return kind, int(step), int(choice)
