"""Which inbound SMS is routed inside Twilio's webhook request (answered in TwiML) and which by a worker.

Routing in the request costs a dozen queries (~10 ms of web CPU) where storing costs one shared
insert (~0.5 ms): under a storm of status callbacks, or of votes, routing is what saturates the
web. So only texts that cannot wait for a worker's second are routed in the request:
- HELP / INFO: carriers require an immediate answer to HELP, and it is the learner's only way to
  reach the trainer's contact line;
- STOP and its synonyms (no answer): nothing may go out after a STOP, and a worker's second of
  delay could let a queued step, or the answer to a text stored just before, through;
- a walk-in's join keyword: the person at the door waits for "You're in" before texting a question.
Everything else (votes and quiz answers, live questions, practice reports, discussion replies,
START, long texts) is stored in the request and routed by a worker within a second, in batches
(issue 28: a room of thousands voting at once). An answer routing gives it (a quiz verdict, a live
question's acknowledgement) is then sent through the SMS API, once, unless the number has opted out
since (services/inbound/apply.py).
Pure: no Flask, no database; the caller passes the join keywords of the sessions open now.
"""

from __future__ import annotations

from collections.abc import Iterable

from drip.domain.keywords import classify_keyword, normalize_keyword


def routed_in_request(body: str, join_keywords: Iterable[str]) -> bool:
    """True when this text is routed in the webhook's request (see the module docstring)."""
    if classify_keyword(body) in ("help", "opt_out"):
        return True
    text = normalize_keyword(body)
    return bool(text) and any(text == normalize_keyword(keyword) for keyword in join_keywords)
