"""The cohort page's rules: when a link lives, whose answers peers see, how a post is checked.

Pure: the services load rows and pass aware datetimes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from drip.domain import catalog
from drip.domain.words import mark
from drip.domain.digests import ANONYMOUS, QUOTABLE, SOURCE_KINDS

PUBLISH = ("approved", "all")  # peers see the answers the trainer approved, or every answer at once
DEFAULT_PUBLISH = "approved"
DEFAULT_DAYS_AFTER = 90
MAX_DAYS_AFTER = 3650
TOKEN_MIN, TOKEN_MAX = 16, 64  # a link token's length bounds: anything else is not one of ours
POST_MAX_CHARS = 1600  # what ten SMS segments hold: a post is no longer than a texted reply
PROMPT_KINDS = SOURCE_KINDS  # the steps a learner answers on the page: discussion and practice
PEER_KINDS = QUOTABLE  # the answers peers may read there
CHANNEL = "web"  # Reply.channel and InboundMessage.channel of a post from the page


@dataclass(frozen=True)
class Settings:
    """A change to a session's cohort page settings (`cohort_page`); None keeps what is set."""

    publish: str | None = None
    days_after: int | None = None
    slides_early: bool | None = None  # the session's slides shown before it starts (else from its start)


def link_alive(ends_at: datetime, days_after: int, now: datetime) -> bool:
    """Whether a cohort link still works: until `days_after` days after the session's end."""
    return now <= ends_at + timedelta(days=days_after)


def looks_like_token(token: str) -> bool:
    """Whether `token` could be a link token at all (so a guess of any length costs no query)."""
    return TOKEN_MIN <= len(token) <= TOKEN_MAX and all(c.isalnum() or c in "-_" for c in token)


def peers_see(*, shared: bool, private: bool, opted_out: bool, publish: str) -> bool:
    """Whether an answer is shown to the other learners: approved (or all published), never a private or opted-out learner's."""
    if private or opted_out:
        return False
    return shared or publish == "all"


def attributed(first_name: str, attribution: str) -> str:
    """Who wrote an answer, as digests say it: the first name or "a colleague"."""
    return first_name if attribution == "first_name" and first_name else ANONYMOUS


def post_problem(text: str) -> tuple[str, dict] | None:
    """Why a post from the page cannot be stored, as a sentence of the catalog and its values; None when it can."""
    if not text.strip():
        return mark("Write something first."), {}
    if len(text) > POST_MAX_CHARS:
        return mark("Keep it under %(count)s characters."), {"count": POST_MAX_CHARS}
    return None


def reply_kind_of(step_kind: str) -> str | None:
    """What an answer to a step of this kind is filed as (discussion → discussion_reply), if it takes posts."""
    if step_kind not in PROMPT_KINDS:
        return None
    row = catalog.step_kind(step_kind)
    return row.reply_kind if row else None


# An address starts where a run of its characters starts: a search retrying inside a long run
# without "@" is quadratic (a 20,000-letter answer took seconds).
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w])\+?\d[\d\s().-]{6,}\d")
HIDDEN = "[hidden]"


@lru_cache(maxsize=4096)  # every reader of a session's page masks the same few hundred answers again
def masked(text: str) -> str:
    """Learner text as peers read it: email addresses and phone numbers hidden (the page shows no one's)."""
    return _PHONE.sub(HIDDEN, _EMAIL.sub(HIDDEN, text))


def first_name_only(name: str | None) -> str:
    """The first word of a name: the page shows no one's surname. Words are split at any whitespace: a name pasted
    from a spreadsheet often has a non-breaking space or a tab between first name and surname."""
    words = (name or "").split()
    return words[0] if words else ""
