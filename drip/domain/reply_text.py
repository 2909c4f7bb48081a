"""The part of an inbound email the learner actually wrote: no quoted history, no signature.

Where the history starts is told by its shape (domain.quoting): attribution lines in any language,
header blocks, separators, ">" quotes. Below a ">"-quoted start, what the learner wrote between or
under the quoted lines is kept, each answer with the quoted question it answers as context (a
quoted line a client hard-wrapped stays quoted only on evidence). What is left above loses its
signatures (domain.signatures). A line is removed only on evidence that it is quote, attribution,
separator or signature: when in doubt the learner's line stays, and the reply is never empty when
the email has text (a forward keeps the forwarded text, domain.forwards). Measured on
tests/unit/reply_corpus with `python -m bench.reply_corpus`.

Learner text is hostile input: it is cut to MAX_CHARS, every pattern here and in domain.quoting is
linear (no nested or overlapping quantifiers over the same characters, long lines never reach an
unanchored pattern), runs of spaces are shortened before mail-parser-reply sees them (its
signature pattern backtracks over whitespace), and the whole split runs within a Budget.
"""

from __future__ import annotations

import re

from drip.domain.budget import Budget
from drip.domain.forwards import forwarded_text, only_forwarded
from drip.domain.quoting import HistoryStart, history_start, is_quoted, unquoted
from drip.domain.signatures import library_clean as _library_clean, without_signatures as _without_signatures

# The reply is at the top; a runaway thread below it is not worth parsing in full.
MAX_CHARS = 64_000


def _tidy(lines: list[str]) -> str:
    return re.sub(r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in lines)).strip()


def _answers(rest: list[str]) -> list[tuple[list[str], list[str]]]:
    """The learner's blocks between and below quoted lines, each with the quoted paragraph just above it."""
    blocks: list[tuple[list[str], list[str]]] = []
    paragraph: list[str] = []
    context: list[str] = []
    current: list[str] | None = None
    for line in rest:
        if is_quoted(line):
            if current is not None:
                blocks.append((context, current))
                current, paragraph = None, []
            text = unquoted(line).strip()
            paragraph = paragraph + [text] if text else []
        elif line.strip() or current is not None:
            if current is None:
                context, current = paragraph, []
            current.append(line)
    if current is not None:
        blocks.append((context, current))
    return blocks


_LIST_ITEM = re.compile(r"^\s*(?:\d{1,2}[.)]|[-*•])\s")


def _question(paragraph: list[str]) -> list[str]:
    """The quoted lines an answer refers to: the paragraph above it, from its last numbered item on."""
    items = [index for index, line in enumerate(paragraph) if _LIST_ITEM.match(line)]
    return paragraph[items[-1] :] if items else paragraph


_WRAP_WIDTH = 78  # clients wrap plain text at 72 to 78 characters
_SENTENCE_END = (".", "?", "!", ":", ";", ")", "。", "？", "！")


def _continues_quote(previous: str, line: str) -> bool:
    """Whether an unquoted line is the rest of the quoted line above, which a client wrapped without its ">".

    Only on evidence: the rest of a link broken inside the quote, or a lowercase continuation whose
    first word could not have fitted on the quoted line. Otherwise the line is the learner's answer.
    """
    text = line.strip()
    if not is_quoted(previous) or not text or previous.rstrip().endswith(_SENTENCE_END):
        return False
    if " " not in text and any(mark in text for mark in "/?=&") and "http" in previous[-100:]:
        return True  # a link broken inside the quote
    first_word = text.split()[0]
    return text[0].islower() and len(previous.rstrip()) + 1 + len(first_word) > _WRAP_WIDTH


def _with_wrapped_quotes(rest: list[str]) -> list[str]:
    """The lines below the history's start, each hard-wrapped rest of a quoted line quoted again."""
    lines = list(rest)
    for index in range(1, len(lines)):
        if not is_quoted(lines[index]) and _continues_quote(lines[index - 1], lines[index]):
            lines[index] = "> " + lines[index]
    return lines


def _interleaved(rest: list[str]) -> bool:
    """Whether the learner wrote between quoted lines (not only below the whole quote)."""
    seen_text = False
    for line in rest:
        if not is_quoted(line) and line.strip():
            seen_text = True
        elif seen_text and is_quoted(line) and unquoted(line).strip():
            return True
    return False


def _fallback(lines: list[str], start: HistoryStart) -> str:
    """Every unquoted line but the attribution: kept when the splitting found nothing the learner wrote."""
    if start.style != "quoted":
        return ""
    kept = [line for index, line in enumerate(lines) if not is_quoted(line) and not start.line <= index < start.end]
    return _tidy(_without_signatures(kept))


def visible_reply(text: str, budget: Budget | None = None) -> str:
    """The new text of an inbound email body: no quoted history or signature, inline answers with their question.

    Raises budget.OverBudget when the split runs past `budget`: the caller then keeps the raw text.
    """
    if not text or not text.strip():
        return ""
    budget = budget or Budget()
    lines = text[:MAX_CHARS].replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ").split("\n")
    start = history_start(lines, budget)
    top = lines if start is None else lines[: start.line] + ([start.answer] if start.answer else [])
    segments = [_library_clean(_tidy(_without_signatures(top)))]
    budget.check()
    if start is not None and start.style == "quoted":
        rest = _with_wrapped_quotes(lines[start.end :])
        with_context = _interleaved(rest)
        for context, block in _answers(rest):
            budget.check()
            answer = _tidy(_without_signatures(block))
            if not answer:
                continue
            quoted = "\n".join("> " + line for line in _question(context)) if with_context and context else ""
            segments.append(f"{quoted}\n{answer}" if quoted else answer)
        if len(segments) > 1:
            segments[-1] = _library_clean(segments[-1]) if not with_context else segments[-1]
    result = "\n\n".join(segment for segment in segments if segment)
    if start is not None and start.style == "block" and only_forwarded(top):
        result = _tidy(forwarded_text(lines, start)) or result
    elif not result and start is not None:
        result = _fallback(lines, start)
    # Never empty when the email has text: a message that is all quote or all signature is kept whole.
    return result or _tidy(lines)
