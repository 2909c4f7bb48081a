"""The cohort page's public HTML, made once per snapshot and handed to every reader with their own part set in.

The 500 approved answers and 200 questions of a big session are most of the page and the same for every
learner; rendering them for each reader was most of a page view's CPU. The answers' HTML is made once per
snapshot of the session's public part (services.cohort.shared, kept with it); the room's questions once per
read of the room's rows (services.cohort.room_rows), with markers where each reader's link, form token and
own votes go, set in by plain string replacement. NUL marks them: no stored text can hold one.
"""

from __future__ import annotations

import hashlib
import json
import re

from flask import current_app, render_template, url_for
from markupsafe import Markup, escape

from drip.services.cohort.page import CohortPage
from drip.services.cohort.prompts import Prompt

SEP = Markup("\x00")
ACTION, VERB, FORM = "\x00a\x00", "\x00b\x00", "\x00f\x00"
OWN_VOTE = re.compile("\x00([pw])([0-9]+)\x00")  # p: the button pressed or not; w: which way a press goes
OWN_VOTE_VALUES = {("p", True): "true", ("p", False): "false", ("w", True): "off", ("w", False): "on"}
QUESTIONS_KEY = "drip_cohort_questions_html"
PRIVATE_HEADERS = {  # on every answer of a cohort link
    "X-Robots-Tag": "noindex, nofollow",  # never in a search engine, whoever links to it
    "Cache-Control": "private, no-store",  # a personal page: no shared cache keeps it
    "Referrer-Policy": "no-referrer",  # the token is in the URL: the join link's site never sees it
}
ROOM_KEY = "drip_cohort_room_json"


def _peer_items(page: CohortPage) -> dict[int, str]:
    """Answer id → its <li>, for every answer peers read in the snapshot (made at its first reader)."""
    items = page.shared.rendered.get("peers")
    if items is None:
        answers = [answer for step_answers in page.shared.peers.values() for answer in step_answers]
        html = render_template("cohort/_peers.html", answers=answers, sep=SEP) if answers else ""
        items = dict(zip((answer.id for answer in answers), html.split("\x00")))
        page.shared.rendered["peers"] = items
    return items


def peers_html(page: CohortPage, prompt: Prompt) -> Markup:
    """The <li>s of the answers of peers to one prompt this learner reads (their own left out: `prompt.peers`)."""
    if not prompt.peers:
        return Markup("")
    items = _peer_items(page)
    return Markup("\n      ".join(items[answer.id] for answer in prompt.peers))


def _question_items(page: CohortPage) -> str:
    """The room's questions with markers for the reader's own part, made once per read of the room's rows."""
    kept = current_app.extensions.setdefault(QUESTIONS_KEY, {})
    key = (page.session_id, page.language)
    found = kept.get(key)
    if found is not None and found[0] is page.question_rows:
        return found[1]
    html = render_template(
        "cohort/_questions.html",
        questions=page.question_rows,
        action=Markup(ACTION),
        verb=Markup(VERB),
        form_token=Markup(FORM),
        pressed=Markup("\x00p"),
        wanted=Markup("\x00w"),
        sep=SEP,
    )
    if len(kept) > 100:  # a few live rooms a process: this only stops a leak
        kept.clear()
    kept[key] = (page.question_rows, html)  # the rows' identity says when it is stale: a new read, new rows
    return html


def questions_html(page: CohortPage, token: str, form_token: str) -> Markup:
    """The room's questions as this reader's page shows them: their link, their form token, their votes pressed."""
    if not page.question_rows:
        return Markup("")
    voted = {question.id for question in page.questions if question.voted}
    action, verb = url_for("cohort.vote", token=token, question_id=0).split("/questions/0/")
    html = _question_items(page).replace(ACTION, str(escape(action))).replace(VERB, str(escape(verb)))
    html = html.replace(FORM, str(escape(form_token)))
    return Markup(OWN_VOTE.sub(lambda found: OWN_VOTE_VALUES[found[1], int(found[2]) in voted], html))


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=9).hexdigest()


def _room_items(session_id: int, rows: tuple) -> tuple[tuple[tuple[int, str, str], ...], str]:
    """Each question's JSON around its "voted" value, and a digest of them all, made once per read of the room's rows."""
    kept = current_app.extensions.setdefault(ROOM_KEY, {})
    found = kept.get(session_id)
    if found is not None and found[0] is rows:
        return found[1], found[2]
    items = tuple(
        (qid, json.dumps({"body": body, "id": qid}, separators=(",", ":"))[:-1] + ',"voted":', f',"votes":{votes}}}')
        for qid, body, votes in rows
    )
    digest = _digest("".join(f"{head}{tail}" for _, head, tail in items))  # the same rows read again: the same
    if len(kept) > 100:  # a few live rooms a process: this only stops a leak
        kept.clear()
    kept[session_id] = (rows, items, digest)
    return items, digest


def room_json(session_id: int, rows: tuple, voted: frozenset[int], *, live: bool, poll: int | None) -> str:
    """room.json as one reader gets it: {live, poll, questions: [{body, id, voted, votes}]}, their votes set in."""
    items, _ = _room_items(session_id, rows)
    questions = ",".join(f"{head}{'true' if qid in voted else 'false'}{tail}" for qid, head, tail in items)
    return f'{{"live":{json.dumps(live)},"poll":{json.dumps(poll)},"questions":[{questions}]}}\n'


def room_etag(session_id: int, rows: tuple, voted: frozenset[int], *, live: bool, poll: int | None) -> str:
    """The ETag of the room.json `room_json` makes from the same arguments, without making it: the digest of the
    room's rows (once per read), whether it is live, its poll and this learner's votes."""
    _, digest = _room_items(session_id, rows)
    mine = _digest(",".join(map(str, sorted(voted)))) if voted else "-"
    return f"{digest}.{int(live)}.{poll or 0}.{mine}"
