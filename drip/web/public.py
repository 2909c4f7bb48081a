"""Public learner pages: unsubscribe by link, RFC 8058 one-click, tracked links and keeping answers private."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, make_response, redirect, render_template, request, url_for

from flask_babel import gettext

from drip.models import Learner
from drip.services.learners.language import language_for
from drip.web.learner_language import speak
from drip.services.inbound import optout
from drip.services.learners import search
from drip.services import accounts
from drip.services.delivery import reads
from drip.services.replies import privacy

bp = Blueprint("public", __name__)
SEEN_COOKIE = "drip_seen"


def _learner(token: str) -> Learner:
    learner = search.by_unsubscribe_token(token)
    if learner is None:
        # A learner-facing page, not the admin's error page with its dashboard link.
        abort(make_response(render_template("public/unknown_link.html"), 404))
    speak(language_for(learner))
    return learner


@bp.get("/u/<token>")
def unsubscribe(token: str):
    """Ask the learner to confirm; a GET never unsubscribes (mail scanners follow links)."""
    learner = _learner(token)
    return render_template(
        "public/unsubscribe.html",
        learner=learner,
        token=token,
        trainer=accounts.trainer_by_id(learner.trainer_id),
        done=request.args.get("done"),
    )


@bp.post("/u/<token>")
def confirm_unsubscribe(token: str):
    """Stop email to this learner from this trainer."""
    learner = _learner(token)
    optout.learner_unsubscribes(learner, source="unsubscribe_link")
    return redirect(url_for("public.unsubscribe", token=token, done="unsubscribed"), code=303)


@bp.post("/u/<token>/resubscribe")
def resubscribe(token: str):
    """Send email to this learner again."""
    learner = _learner(token)
    optout.learner_resubscribes(learner, source="unsubscribe_link")
    return redirect(url_for("public.unsubscribe", token=token, done="resubscribed"), code=303)


@bp.post("/u/<token>/one-click")
def one_click(token: str):
    """RFC 8058 one-click unsubscribe from the mail client: idempotent, 200, no redirect."""
    learner = _learner(token)
    # Honoured even without the List-Unsubscribe=One-Click body: a POST is a deliberate act.
    marker = request.form.get("List-Unsubscribe", "")
    optout.learner_unsubscribes(learner, source="one_click", detail=f"List-Unsubscribe={marker}" if marker else "")
    return gettext("You are unsubscribed.") + "\n", 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.route("/l/<token>", methods=["GET", "HEAD"])
def tracked_link(token: str):
    """A tracked link: record the click (scanners flagged) and send the learner on with a 302."""
    url = reads.follow(
        token,
        secret=str(current_app.config["SECRET_KEY"]),
        method=request.method,
        user_agent=request.headers.get("User-Agent", ""),
        has_cookie=SEEN_COOKIE in request.cookies,
    )
    if url is None:
        abort(make_response(render_template("public/unknown_link.html"), 404))
    response = redirect(url, code=302)
    # Scanners rarely keep cookies: a second click that carries this one comes from a person.
    response.set_cookie(SEEN_COOKIE, "1", max_age=365 * 86400, httponly=True, samesite="Lax", secure=request.is_secure)
    return response


def _private_delivery(token: str):
    delivery = privacy.delivery_for(current_app.config, token)
    if delivery is None:
        abort(make_response(render_template("public/unknown_link.html"), 404))
    speak(language_for(delivery.learner, step=delivery.step))
    return delivery


@bp.get("/p/<token>")
def private_answers(token: str):
    """Ask the learner to confirm keeping their answers private; a GET changes nothing (scanners follow links)."""
    _private_delivery(token)
    return render_template("public/private.html", token=token, done=request.args.get("done"))


@bp.post("/p/<token>")
def confirm_private_answers(token: str):
    """Never quote this learner's answers of that session in a digest."""
    privacy.confirm_link(_private_delivery(token))
    return redirect(url_for("public.private_answers", token=token, done="1"), code=303)
