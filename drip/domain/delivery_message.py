"""The message of one delivery, built from data: its row, its batch's facts, the settings and the hour.

Pure: no query, no commit, no clock read. What a message needs is loaded with its batch
(services/delivery/batching.py); the moment of sending is given, so `session.starts_in` reads
as of then.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from drip.domain import catalog, links, quiz, step_images
from drip.domain import messages as compose
from drip.domain.digests import in_language, SOURCE_KINDS, NothingToShare, digest_key, fit_sms
from drip.domain.languages import reading
from drip.domain.outgoing import BatchFacts, DeliveryToSend, OutgoingMessage
from drip.domain.translations import StepText, pick
from drip.domain.zones import learner_zone


class UnknownLinks(Exception):
    """The message has links whose tracked ids its batch did not load (a body whose links change by the hour)."""

    def __init__(self, urls: set[str]):
        super().__init__(f"{len(urls)} links without an id")
        self.urls = urls


def cohort_url(item: DeliveryToSend, settings: Mapping[str, Any]) -> str:
    """The learner's personal cohort page link (`cohort_url`), "" when the enrolment has none."""
    if not item.cohort_token:
        return ""
    return f"{settings['PUBLIC_BASE_URL'].rstrip('/')}/c/{item.cohort_token}"


def _untracked(url: str, settings: Mapping[str, Any]) -> bool:
    # A cohort page link is personal (one URL per learner) and counts its own views: never rewritten.
    return url.startswith(f"{settings['PUBLIC_BASE_URL'].rstrip('/')}/c/")


def _tracker(item: DeliveryToSend, facts: BatchFacts, settings: Mapping[str, Any], missing: set[str]):
    if not settings.get("TRACK_LINKS", True):
        return None
    base, secret = settings["PUBLIC_BASE_URL"].rstrip("/"), str(settings["SECRET_KEY"])

    def tracked(url: str) -> str:
        if _untracked(url, settings):
            return url
        found = facts.link_ids.get(url)
        if found is None:
            missing.add(url)
            return url
        return f"{base}/l/{links.token(secret, item.delivery_id, found)}"

    return tracked


def learners_links(item: DeliveryToSend, facts: BatchFacts) -> frozenset[str]:
    """The URLs in what learners wrote that this message inserts: never tracked, never made links."""
    quote = facts.quotes.get(item.delivery_id) if item.kind == "testimonial" else None
    answers = facts.digest_answers.get(digest_key(item)) or [] if item.kind == "digest" else []
    words = [item.learner_name, quote.shown_as if quote else ""]
    words += [str(answer.get(key) or "") for answer in answers for key in ("text", "by")]
    return links.learners_urls(words)


def language_of(item: DeliveryToSend) -> str:
    """The language a delivery's learner reads: theirs when Drip writes it, else the sequence's."""
    return reading(item.learner_language, item.sequence_language)


def step_text(item: DeliveryToSend) -> StepText:
    """The step as its learner reads it: the translation into their language, or the step's own text."""
    own = StepText(item.body, item.subject, item.choices, None, item.follow_up)
    return pick(language_of(item), own, item.translations)


def _context(
    item: DeliveryToSend, facts: BatchFacts, settings: Mapping[str, Any], now: datetime, shown: list, choices
) -> dict:
    quote = facts.quotes.get(item.delivery_id) if item.kind == "testimonial" else None
    language = language_of(item)
    return compose.context(
        learner_name=item.learner_name,
        session_title=item.session_title,
        starts_at=item.starts_at,
        join_url=item.join_url,
        trainer_name=item.trainer_name,
        tz=learner_zone(item.learner_timezone, item.session_timezone),
        hint=compose.reply_hint(item.kind, item.channel, choices, language),
        now=now,
        number=facts.sms_number,
        answers=shown,
        testimonial=quote.shown_as if quote else "",
        cohort_url=cohort_url(item, settings),
        choices=compose.choices_text(item.kind, choices),
        language=language,
    )


def text_of(
    item: DeliveryToSend, facts: BatchFacts, settings: Mapping[str, Any], now: datetime, *, tracked: bool = True
) -> tuple[str, str, set[str]]:
    """(text, subject, links without an id) of a delivery for its learner; TemplateProblem, NothingToShare."""
    answers: list[dict] = []
    if item.kind == "digest":
        answers = in_language(facts.digest_answers.get(digest_key(item)) or [], language_of(item))
        if not answers:
            raise NothingToShare(catalog.NOTHING_APPROVED.text)
    read = step_text(item)
    body, step_subject = read.body, read.subject
    if item.purpose == "follow_up" and read.follow_up:
        body, step_subject = read.follow_up["body"], read.follow_up.get("subject")
    missing: set[str] = set()
    track = _tracker(item, facts, settings, missing) if tracked else None
    theirs = learners_links(item, facts)
    # A draft (for its links) renders every answer and skips the SMS length limit that fitting handles.
    sms = catalog.channel(item.channel).shape == "text" and tracked

    def render(shown: list) -> tuple[str, str]:
        ctx = _context(item, facts, settings, now, shown, read.choices)
        rendered, title = compose.render_step(body, step_subject, ctx, sms=sms)
        return (links.rewrite(rendered, track, theirs) if track else rendered), title

    if item.kind == "digest" and sms:
        # An SMS digest keeps to a set number of segments: as many answers as fit, tracked links included.
        text, _ = fit_sms(answers, lambda shown: render(shown)[0])
        return text, item.session_title, missing
    text, subject = render(answers)
    return text, subject, missing


def render(
    item: DeliveryToSend, address: str, facts: BatchFacts, settings: Mapping[str, Any], now: datetime
) -> OutgoingMessage:
    """The rendered SMS or email of one delivery as of `now`: TemplateProblem, NothingToShare for an empty
    digest, UnknownLinks when a link's id was not loaded with the batch."""
    text, subject, missing = text_of(item, facts, settings, now)
    if missing:
        raise UnknownLinks(missing)
    image = facts.images.get(item.image_id) if item.image_id else None
    if catalog.channel(item.channel).shape == "text":
        message = compose.sms_message(
            delivery_id=item.delivery_id, to=address, text=text, config=settings, channel=item.channel
        )
        return step_images.add_to_text(message, image) if image else message
    domain, language, choices = settings.get("INBOUND_EMAIL_DOMAIN"), language_of(item), step_text(item).choices
    answer_links = ""
    if item.kind == "quiz" and item.purpose != "follow_up" and choices and domain:
        answer_links = quiz.answer_links_html(choices, f"reply+{item.reply_token}@{domain}", subject, language)
    if item.kind in SOURCE_KINDS:
        base, secret = settings["PUBLIC_BASE_URL"], str(settings["SECRET_KEY"])
        text += "\n\n" + links.privacy_line(base, secret, item.delivery_id, language)
    inline = step_images.inline_image(image) if image else None
    message = compose.email_message(
        delivery_id=item.delivery_id,
        to=address,
        subject=subject,
        text=text,
        unsubscribe_token=item.unsubscribe_token,
        reply_token=item.reply_token,
        config=settings,
        extra_html=(step_images.image_html(image) if inline else "") + answer_links,
        unlinked=learners_links(item, facts),
        language=language,
    )
    return replace(message, inline_images=(inline,)) if inline else message


def links_of(item: DeliveryToSend, facts: BatchFacts, settings: Mapping[str, Any], now: datetime) -> set[str]:
    """The URLs a delivery's message will track (its batch loads their ids); none when it cannot render."""
    if not settings.get("TRACK_LINKS", True):
        return set()
    try:
        text, _, _ = text_of(item, facts, settings, now, tracked=False)
    except Exception:  # a template problem or an empty digest: the send reports it, with no links
        return set()
    theirs = learners_links(item, facts)
    return {
        url for url in links.URL.findall(text) if not _untracked(url, settings) and not links.is_learners(url, theirs)
    }
