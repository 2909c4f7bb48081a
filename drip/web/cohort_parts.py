"""The cohort page's public HTML, made once per snapshot and handed to every reader with their own part set in.

The 500 approved answers and 200 questions of a big session are most of the page and the same for every
learner; rendering them for each reader was most of a page view's CPU. The answers' HTML is made once per
snapshot of the session's public part (services.cohort.shared, kept with it); the room's questions once per
read of the room's rows (services.cohort.room_rows), with markers where each reader's link, form token and
own votes go, set in by plain string replacement. NUL marks them: no stored text can hold one.
"""

from __future__ import annotations

import json
import re

from flask import current_app, render_template, url_for
from markupsafe import Markup, escape

from drip.services.cohort.page import CohortPage
from drip.services.cohort.prompts import Prompt

SEP = Markup("\x00")
ACTION, VERB, FORM = "\x00a\x00", "\x00b\x00", "\x00f\x00"
PRESSED = re.compile("\x00p([0-9]+)\x00")
QUESTIONS_KEY = "drip_cohort_questions_html"
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
    return Markup(PRESSED.sub(lambda found: "true" if int(found[1]) in voted else "false", html))


def _room_items(session_id: int, rows: tuple) -> tuple[tuple[int, str, str], ...]:
    """Each question's JSON around its "voted" value, made once per read of the room's rows."""
    kept = current_app.extensions.setdefault(ROOM_KEY, {})
    found = kept.get(session_id)
    if found is not None and found[0] is rows:
        return found[1]
    items = tuple(
        (qid, json.dumps({"body": body, "id": qid}, separators=(",", ":"))[:-1] + ',"voted":', f',"votes":{votes}}}')
        for qid, body, votes in rows
    )
    if len(kept) > 100:  # a few live rooms a process: this only stops a leak
        kept.clear()
    kept[session_id] = (rows, items)
    return items


def room_json(session_id: int, rows: tuple, voted: set[int], *, live: bool, poll: int | None) -> str:
    """room.json as one reader gets it: {live, poll, questions: [{body, id, voted, votes}]}, their votes set in."""
    questions = ",".join(
        f"{head}{'true' if qid in voted else 'false'}{tail}" for qid, head, tail in _room_items(session_id, rows)
    )
    return f'{{"live":{json.dumps(live)},"poll":{json.dumps(poll)},"questions":[{questions}]}}\n'
