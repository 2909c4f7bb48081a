"""The seam after routing: code that reacts to a routed answer (a quiz verdict, say) registers here.

A hook runs inside the inbound transaction, after the reply is flushed and before the commit, so
what it writes commits with the reply, once. It may return the SMS text to answer the learner
with (the first text returned wins); it must not commit.

A worker files a batch of texts at once (inbound/batch_filing): a hook may also register a batch
form (`on_answers`), called once with every reply of its kind in the batch, which must do what the
single form does for each in a fixed number of statements. A kind with a single form and no batch
form is run reply by reply.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from drip.models import Reply

AnswerHook = Callable[[Reply, datetime], "str | None"]
BatchHook = Callable[[list[Reply], datetime], "list[str | None]"]
_HOOKS: dict[str, list[AnswerHook]] = {}
_BATCH_HOOKS: dict[str, dict[AnswerHook, BatchHook]] = {}  # kind -> single form -> its batch form


def on_answer(kind: str) -> Callable[[AnswerHook], AnswerHook]:
    """Register a hook for replies of one kind (e.g. "quiz_answer"); usable as a decorator."""

    def register(hook: AnswerHook) -> AnswerHook:
        if hook not in _HOOKS.setdefault(kind, []):
            _HOOKS[kind].append(hook)
        return hook

    return register


def on_answers(kind: str, single: AnswerHook) -> Callable[[BatchHook], BatchHook]:
    """Register the batch form of a registered hook (see the module's docstring); usable as a decorator."""

    def register(hook: BatchHook) -> BatchHook:
        _BATCH_HOOKS.setdefault(kind, {})[single] = hook
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


def run_many(replies: list[Reply], now: datetime) -> list[str | None]:
    """run() for each reply of a batch (one kind or several), each hook's batch form called once per kind."""
    answers: list[str | None] = [None] * len(replies)
    by_kind: dict[str, list[int]] = {}
    for index, reply in enumerate(replies):
        by_kind.setdefault(reply.kind, []).append(index)
    for kind, indexes in by_kind.items():
        group = [replies[index] for index in indexes]
        batched = _BATCH_HOOKS.get(kind, {})
        for hook in list(_HOOKS.get(kind, ())):
            if hook in batched:
                texts = batched[hook](group, now)
            else:
                texts = [hook(reply, now) for reply in group]
            for index, text in zip(indexes, texts):
                answers[index] = answers[index] or text
    return answers
