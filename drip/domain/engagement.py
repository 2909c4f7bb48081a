"""Engagement of a session's learners: who is active, reading, silent or gone; the funnel per step."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

STATES = ("active", "reader", "silent", "opted_out")
FALLING_DROP = 0.2  # a step answered or read by 20 points fewer than the earlier ones, on average
FALLING_MIN_LEARNERS = 3


@dataclass(frozen=True)
class LearnerFacts:
    """What one learner of a session received, read and answered."""

    learner_id: int
    received: int
    read: bool
    replied: bool
    opted_out: bool


def state(facts: LearnerFacts) -> str:
    """active (replied), reader (read, never replied), silent, or opted_out (no longer reachable)."""
    # Opted out first: whatever they did before, the trainer can no longer reach them.
    if facts.opted_out:
        return "opted_out"
    if facts.replied:
        return "active"
    return "reader" if facts.read else "silent"


def tally(learners: Iterable[LearnerFacts]) -> dict[str, int]:
    """How many learners are in each state, every state present."""
    counts = dict.fromkeys(STATES, 0)
    for facts in learners:
        counts[state(facts)] += 1
    return counts


@dataclass(frozen=True)
class StepFunnel:
    """Learners reached at each stage of one step: sent → delivered → opened/clicked → replied."""

    step_id: int
    kind: str
    channel: str
    sent: int
    delivered: int
    opened: int
    clicked: int
    replied: int
    read: int  # opened or clicked, each learner once
    engaged: int  # read or replied, each learner once
    name: str = ""  # how the admin names the step (its label, or kind and moment)

    def rate(self) -> float:
        """The share of learners sent this step who read or answered it."""
        return self.engaged / self.sent if self.sent else 0.0


def falling(funnels: Sequence[StepFunnel]) -> bool:
    """Whether the latest step sent engaged clearly fewer learners than the earlier ones did."""
    sent = [f for f in funnels if f.sent >= FALLING_MIN_LEARNERS]
    if len(sent) < 2:
        return False
    earlier = sum(f.rate() for f in sent[:-1]) / (len(sent) - 1)
    return sent[-1].rate() <= earlier - FALLING_DROP
