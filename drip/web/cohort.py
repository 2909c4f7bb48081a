"""The cohort page, /c/<token>: the learners' shared space, opened from a personal link without login."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, jsonify, make_response, redirect, render_template, request, url_for
from flask_babel import gettext

from drip.models import utcnow
from drip.services.cohort import limits, links, page, room
from drip.services.cohort.links import Visitor
from drip.services.cohort.posts import PostRefused, answer_open_poll, post_answer
from drip.services.learners.language import language_for
from drip.web import cohort_parts
from drip.web.learner_language import speak
from drip.web.reader_gate import render_giving_way
from drip.web.room_refresh import room_answer

bp = Blueprint("cohort", __name__)


def _not_found():
    """The learner-facing dead-link page (no admin chrome), for unknown, expired and withdrawn links."""
    response = make_response(render_template("cohort/unknown.html"), 404)
    response.headers.update(cohort_parts.PRIVATE_HEADERS)
    abort(response)


def _visitor(token: str, *, words: bool = True) -> Visitor:
    found = links.visitor(token, utcnow())
    if found is None:
        _not_found()
    if words:  # the page, and the errors its posts get, in the learner's language (before any word is translated)
        speak(language_for(found.learner, training_session=found.training_session))
    return found


def form_token(token: str) -> str:
    """The CSRF token of a link's forms: bound to the link, so another site cannot forge a post without it."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, f"cohort-form:{token}".encode(), hashlib.sha256).hexdigest()


def _host_of(origin: str) -> str | None:
    try:
        return urlsplit(origin).netloc
    except ValueError:  # "http://[": not an address a browser sends
        return None


def _check_form(token: str) -> None:
    """Refuse a post from another site: a wrong form token, or a browser saying it came cross-site."""
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        abort(400, "This form can only be sent from your page.")
    origin = request.headers.get("Origin")
    if origin and origin != "null" and _host_of(origin) != request.host:
        abort(400, "This form can only be sent from your page.")
    if not hmac.compare_digest(request.form.get("form_token", ""), form_token(token)):
        abort(400, "This form has expired: open your page again and resend.")


def _render(
    visitor: Visitor,
    token: str,
    *,
    status: int = 200,
    error: str = "",
    error_step: int | None = None,
    count_view: bool = False,
):
    shown = page.build(visitor, current_app.config, utcnow())
    if count_view:  # after the page is read: the commit would expire the rows it reads
        links.record_view(visitor.enrollment.id, utcnow())
    # The template is a reader's longest stretch of work: it gives way to webhooks as it goes.
    html = render_giving_way(
        "cohort/page.html",
        page=shown,
        token=token,
        form_token=form_token(token),
        error=error,
        error_step=error_step,
        done=request.args.get("done", ""),
    )
    response = make_response(html, status)
    response.headers.update(cohort_parts.PRIVATE_HEADERS)
    return response


@bp.get("/c/<token>")
def show(token: str):
    """The learner's cohort page; opening it counts as reading."""
    # A HEAD is a link checker or preview, not a learner reading.
    return _render(_visitor(token), token, count_view=request.method == "GET")


@bp.post("/c/<token>/answers/<int:step_id>")
def post(token: str, step_id: int):
    """Post an answer to a prompt, stored as a texted reply to that step would be."""
    visitor = _visitor(token)
    _check_form(token)
    if not limits.allow(token, "post"):
        return _render(
            visitor, token, status=429, error=gettext("You have posted a lot just now: try again in a few minutes.")
        )
    try:
        post_answer(visitor, step_id, request.form.get("body", ""), utcnow())
    except PostRefused as refused:
        return _render(visitor, token, status=422, error=gettext(str(refused), **refused.values), error_step=step_id)
    return redirect(url_for("cohort.show", token=token, _anchor=f"prompt-{step_id}"), code=303)


@bp.post("/c/<token>/questions/<int:question_id>/vote")
def vote(token: str, question_id: int):
    """Vote for a live question, or take the vote back; JSON for the page's script, else back to the page."""
    visitor = _visitor(token)
    _check_form(token)
    wants_json = request.accept_mimetypes.best == "application/json"
    if not limits.allow(token, "vote"):
        if wants_json:
            return jsonify(error="Too Many Requests", details="Slow down a little."), 429
        return _render(visitor, token, status=429, error=gettext("Slow down a little: try again in a minute."))
    try:
        wanted = {"on": True, "off": False}.get(request.form.get("want", ""))  # the script's; a plain form toggles
        voted, votes = room.toggle_vote(visitor.training_session, visitor.learner.id, question_id, utcnow(), wanted)
    except room.NotVotable:
        if wants_json:
            return jsonify(error="Not Found", details="This question is not open for votes."), 404
        return _render(visitor, token, status=404, error=gettext("This question is not open for votes."))
    if wants_json:
        return jsonify(voted=voted, votes=votes)
    return redirect(url_for("cohort.show", token=token, _anchor=f"question-{question_id}"), code=303)


@bp.post("/c/<token>/poll")
def poll(token: str):
    """Answer the open poll on the projector, as a text to the session's number would."""
    visitor = _visitor(token)
    _check_form(token)
    if not limits.allow(token, "poll"):
        return _render(
            visitor, token, status=429, error=gettext("You have answered a lot just now: try again in a few minutes.")
        )
    try:
        answer_open_poll(visitor, request.form.get("body", ""), utcnow())
    except PostRefused as refused:
        return _render(visitor, token, status=422, error=gettext(str(refused), **refused.values))
    return redirect(url_for("cohort.show", token=token, done="poll", _anchor="poll"), code=303)


@bp.get("/c/<token>/room.json")
def room_state(token: str):
    """The room as the page's script refreshes it: approved questions with votes, and whether a poll is open.
    Most refreshes are answered before this view, from memory (web.room_refresh); this one reads first."""
    answer = room_answer(token, utcnow())
    if answer is None:
        _not_found()
    if request.if_none_match.contains_weak(answer.etag):
        response = current_app.response_class(status=304)
    else:
        # The questions' JSON is made once per read of the room for all its readers; only the votes are this learner's.
        response = current_app.response_class(answer.body(), mimetype="application/json")
    response.set_etag(answer.etag)
    response.headers.update(cohort_parts.PRIVATE_HEADERS)
    return response
