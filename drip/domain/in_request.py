"""Which inbound SMS is routed inside Twilio's webhook request (answered in TwiML) and which by a worker.

A TwiML answer is only possible while Twilio waits for the webhook, and it costs routing in the
request (a dozen queries, ~6 ms of web CPU): under a storm of status callbacks that is what
saturates the web. So only texts whose answer the learner is waiting for, standing there with the
phone in hand, are routed in the request:
- HELP / INFO: carriers require an immediate answer to HELP, and it is the learner's only way to
  reach the trainer's contact line;
- a walk-in's join keyword: the person at the door waits for "You're in" before texting a question;
- a short answer that may pick a choice (a number or a letter, "2", "B)"): a quiz answer gets its
  verdict at once ("Right! ..."), and a quiz verdict read a minute late teaches nothing.
STOP and its synonyms are routed in the request too, though they get no answer: nothing may go out
after a STOP, and a worker's second of delay could let a queued step through.
Everything else (live questions, practice reports, discussion replies, START, long texts)
is stored in the request and routed by a worker within a second; an answer routing gives it (a
live question's acknowledgement) is then sent through the SMS API instead of TwiML.
Pure: no Flask, no database; the caller passes the join keywords of the sessions open now.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from drip.domain.keywords import classify_keyword, normalize_keyword

_CHOICE = re.compile(r"(?:option|choice|number)?\s*(?:\d{1,2}|[a-z])\s*[.)]?", re.IGNORECASE)


def looks_like_choice(body: str) -> bool:
    """A text that may pick one of a question's choices: a number or a single letter."""
    return bool(_CHOICE.fullmatch(normalize_keyword(body)))


def routed_in_request(body: str, join_keywords: Iterable[str]) -> bool:
    """True when this text is routed in the webhook's request (see the module docstring)."""
    if classify_keyword(body) in ("help", "opt_out"):
        return True
    text = normalize_keyword(body)
    if text and any(text == normalize_keyword(keyword) for keyword in join_keywords):
        return True
    return looks_like_choice(body)
