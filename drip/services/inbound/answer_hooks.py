"""The seam after routing: code that reacts to a routed answer (a quiz verdict, say) registers here.

A hook runs inside the inbound transaction, after the reply is flushed and before the commit, so
what it writes commits with the reply, once. It may return the SMS text to answer the learner
with (the first text returned wins); it must not commit.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from drip.models import Reply

AnswerHook = Callable[[Reply, datetime], "str | None"]
_HOOKS: dict[str, list[AnswerHook]] = {}


def on_answer(kind: str) -> Callable[[AnswerHook], AnswerHook]:
    """Register a hook for replies of one kind (e.g. "quiz_answer"); usable as a decorator."""

    def register(hook: AnswerHook) -> AnswerHook:
        if hook not in _HOOKS.setdefault(kind, []):
            _HOOKS[kind].append(hook)
        return hook

    return register


def remove(kind: str, hook: AnswerHook) -> None:
    """Unregister a hook (tests)."""
    if hook in _HOOKS.get(kind, []):
        _HOOKS[kind].remove(hook)


def run(reply: Reply, now: datetime) -> str | None:
    """Run the hooks of the reply's kind; the first text one returns is the answer to send back."""
    answer = None
    for hook in list(_HOOKS.get(reply.kind, ())):
        text = hook(reply, now)
        answer = answer or text
    return answer
