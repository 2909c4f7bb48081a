"""What a trainer can file a text as, for the select boxes of the board, replies, learner and inbox pages.

One option value names the whole target: "practice_report", or "poll_vote:<step id>:<choice index>"
for a vote on one choice of one poll (the same for quiz answers).
"""

from __future__ import annotations

from drip.domain import numbers
from drip.domain import catalog
from drip.domain.step_names import name_of
from drip.models import TrainingSession
from drip.services.replies.refile import KINDS, RefileInvalid
from drip.services.replies.answers import session_steps

LABELS = {kind.name: kind.short_label for kind in catalog.REPLY_KINDS}
# Reply kind of each step kind answered with a choice: poll_vote for a poll, quiz_answer for a quiz.
_CHOICE_REPLY = {step: catalog.answer_kinds()[step] for step in catalog.choice_step_kinds()}


def options(training_session: TrainingSession | None) -> list[dict]:
    """Option groups: the plain kinds, then one group per poll or quiz with an option per choice."""
    plain = [{"value": kind, "label": LABELS[kind]} for kind in KINDS if kind not in _CHOICE_REPLY.values()]
    groups = [{"label": "File as", "options": plain}]
    if training_session is None:
        return groups
    for step in session_steps(training_session):
        kind = _CHOICE_REPLY.get(step.kind)
        if kind is None:
            continue
        groups.append(
            {
                "label": f"{LABELS[kind]}: {name_of(step)}",
                "options": [
                    {"value": f"{kind}:{step.id}:{index}", "label": f"{index + 1}. {choice}"}
                    for index, choice in enumerate(step.choices or ())
                ],
            }
        )
    return groups


def parse_target(value: str) -> tuple[str, int | None, int | None]:
    """(kind, step_id, choice_index) from an option value; RefileInvalid when it is not one."""
    kind, _, rest = (value or "").partition(":")
    if kind not in KINDS:
        raise RefileInvalid("kind", "choose what to file it as")
    if not rest:
        return kind, None, None
    step, _, choice = rest.partition(":")
    step_id, choice_index = numbers.parse_id(step), numbers.parse_int(choice, high=1000)
    if kind not in _CHOICE_REPLY.values() or step_id is None or choice_index is None:
        raise RefileInvalid("kind", "choose what to file it as")
    return kind, step_id, choice_index
