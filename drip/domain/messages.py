"""Turning a step into the message a learner receives: context, rendering, email parts and headers."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, tzinfo
from types import MappingProxyType
from typing import Any

from drip.domain.outgoing import OutgoingMessage
from drip.domain.templates import render
from drip.domain.when import starts_at_text, starts_in
from drip.domain.words import say

WALK_IN = "Walk-in"
_URL = re.compile(r"https?://[^\s<>&\"']+")


def reply_hint(kind: str, channel: str, choices: Sequence[str] | None, language: str = "en") -> str:
    """How to answer this kind of step, in the learner's language; polls list their numbered choices."""
    if kind == "poll":
        if choices:
            each = [say(language, "%(number)s for %(choice)s", number=n, choice=c) for n, c in enumerate(choices, 1)]
            return say(language, "Reply %(choices)s.", choices=", ".join(each))
        return say(language, "Reply with your answer.")
    if kind == "quiz":
        from drip.domain.quiz import reply_hint as quiz_hint

        return quiz_hint(choices, language)
    if kind == "practice":
        return say(language, "Reply to tell us how your practice went.")
    if kind == "discussion":
        return say(language, "Reply to share your thoughts.")
    if kind == "live_prompt":
        if channel == "sms":
            return say(language, "Text your questions to this number.")
        return say(language, "Reply with your questions.")
    return ""


def choices_text(kind: str, choices: Sequence[str] | None) -> str:
    """The `choices` variable: the choices as learners answer them, "1 …" per line for a poll, "A) …" for a quiz."""
    if not choices:
        return ""
    if kind == "quiz":
        from drip.domain.quiz import letter

        return "\n".join(f"{letter(index)}) {choice}" for index, choice in enumerate(choices))
    return "\n".join(f"{number} {choice}" for number, choice in enumerate(choices, 1))


def context(
    *,
    learner_name: str,
    session_title: str,
    starts_at: datetime,
    join_url: str,
    trainer_name: str,
    tz: tzinfo,
    hint: str,
    now: datetime,
    number: str = "",
    answers: Sequence[Mapping[str, str]] = (),
    testimonial: str = "",
    cohort_url: str = "",
    choices: str = "",
    language: str = "en",
) -> dict[str, Any]:
    """The names a step body may use (DESIGN.md), for one learner in their language, as of the moment it is sent."""
    name = learner_name or ""
    # A walk-in is named "Walk-in ···1234" until the trainer renames them: greet them, and a learner
    # with no name, as "there" ("Hi there"), in their language.
    first_name = name.split()[0] if name.strip() and not name.startswith(WALK_IN) else say(language, "there")
    return {
        "answers": list(answers),
        "testimonial": testimonial,
        "cohort_url": cohort_url,
        "first_name": first_name,
        "name": name,
        "session": {
            "title": session_title,
            "starts_at": starts_at_text(starts_at, tz, language),
            "join_url": join_url or "",
            "starts_in": starts_in(starts_at, now, tz, language),
        },
        "trainer": {"name": trainer_name or ""},
        "sms_number": number,
        "reply_hint": hint,
        "choices": choices,
    }


def text_to_html(text: str, unlinked: frozenset[str] = frozenset()) -> str:
    """Escaped HTML paragraphs of a plain-text body, with its links clickable except `unlinked` (learners')."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    theirs = frozenset(html.escape(url, quote=True) for url in unlinked)

    def anchor(url: str) -> str:
        return url if any(own in url or url in own for own in theirs) else f'<a href="{url}">{url}</a>'

    def paragraph(block: str) -> str:
        escaped = html.escape(block, quote=True)
        linked = _URL.sub(lambda m: anchor(m.group(0)), escaped)
        return '<p style="margin:0 0 16px">' + linked.replace("\n", "<br>\n") + "</p>"

    return "\n".join(paragraph(block) for block in paragraphs)


# One responsive layout for every email: a centred column up to 600 px that becomes the full width on a
# phone. Tables and inline styles, because that is what mail clients (Outlook, Gmail) honour.
_EMAIL_LAYOUT = """<!doctype html>
<html lang="{language}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light"><title>{title}</title>
<style>
  body {{ margin: 0; padding: 0; background: #f3f4f6; }}
  a {{ color: #0a58ca; }}
  @media (max-width: 620px) {{ .drip-outer {{ padding: 0 !important; }} .drip-card {{ border-radius: 0 !important; padding: 20px 16px !important; }} }}
</style></head>
<body style="margin:0;padding:0;background:#f3f4f6;">
<span style="display:none;max-height:0;overflow:hidden;opacity:0;">{preheader}</span>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f3f4f6;">
<tr><td class="drip-outer" align="center" style="padding:24px 12px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:600px;">
<tr><td class="drip-card" style="background:#ffffff;border-radius:12px;padding:28px 32px;font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;font-size:16px;line-height:1.55;color:#1f2937;overflow-wrap:anywhere;">
{content}
</td></tr>
<tr><td style="padding:16px 8px;font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;font-size:13px;line-height:1.5;color:#4b5563;text-align:center;">
{footer}
</td></tr>
</table>
</td></tr></table>
</body></html>"""


def email_layout(content_html: str, footer_html: str, *, title: str, language: str = "en") -> str:
    """An email's HTML part: the step's paragraphs in the responsive layout, the footer below the card."""
    preheader = html.escape(re.sub(r"<[^>]+>", " ", content_html).split("\n")[0].strip()[:120])
    return _EMAIL_LAYOUT.format(
        title=html.escape(title), preheader=preheader, content=content_html, footer=footer_html, language=language
    )


def unsubscribe_headers(base_url: str, token: str, inbound_domain: str) -> dict[str, str]:
    """RFC 2369/8058 headers: one-click https link, and a mailto when inbound email is set up."""
    links = [f"<{base_url}/u/{token}/one-click>"]
    if inbound_domain:
        links.append(f"<mailto:unsubscribe@{inbound_domain}?subject=unsubscribe-{token}>")
    return {"List-Unsubscribe": ", ".join(links), "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def email_message(
    *,
    delivery_id: int | None,
    to: str,
    subject: str,
    text: str,
    unsubscribe_token: str,
    reply_token: str | None,
    config: Mapping[str, Any],
    extra_html: str = "",
    unlinked: frozenset[str] = frozenset(),
    language: str = "en",
) -> OutgoingMessage:
    """An email with text and HTML parts (extra_html, already safe, before the footer; `unlinked` URLs,
    learners', shown as text), an unsubscribe footer in the learner's language and the unsubscribe headers."""
    base, domain = config["PUBLIC_BASE_URL"].rstrip("/"), config.get("INBOUND_EMAIL_DOMAIN") or ""
    link = f"{base}/u/{unsubscribe_token}"
    footer_text = "\n\n--\n" + say(language, "To stop these emails, unsubscribe: %(link)s", link=link) + "\n"
    word = html.escape(say(language, "unsubscribe"))  # outside the f-string, where pybabel extract finds it
    anchor = f'<a href="{html.escape(link)}" style="color:#0a58ca">{word}</a>'
    # The sentence is escaped as text; only the link goes in as markup, wherever the language puts it.
    sentence = html.escape(say(language, "You can stop these emails at any time: %(link)s.", link="\x00"))
    footer_html = '<p style="margin:0">' + sentence.replace("\x00", anchor) + "</p>"
    return OutgoingMessage(
        delivery_id=delivery_id,
        channel="email",
        to=to,
        subject=" ".join(subject.split())[:300],
        body=text.rstrip() + footer_text,
        html=email_layout(
            text_to_html(text, unlinked) + extra_html,
            footer_html,
            title=" ".join(subject.split())[:300],
            language=language,
        ),
        reply_to=f"reply+{reply_token}@{domain}" if domain and reply_token else None,
        headers=MappingProxyType(unsubscribe_headers(base, unsubscribe_token, domain)),
    )


def sms_message(
    *, delivery_id: int | None, to: str, text: str, config: Mapping[str, Any], channel: str = "sms"
) -> OutgoingMessage:
    """A text message (an SMS unless `channel` says otherwise) whose status callbacks find their delivery via ?d=<id>."""
    callback = None
    if delivery_id is not None:
        callback = f"{config['PUBLIC_BASE_URL'].rstrip('/')}/webhooks/twilio/status?d={delivery_id}"
    return OutgoingMessage(delivery_id=delivery_id, channel=channel, to=to, body=text.strip(), status_callback=callback)


def render_step(body: str, subject: str | None, ctx: Mapping[str, Any], *, sms: bool = False) -> tuple[str, str]:
    """(text, subject) of a step for one learner; TemplateProblem when it cannot render or is too long."""
    text = render(body, ctx, sms=sms)
    title = render(subject, ctx) if subject else ctx["session"]["title"]
    return text, title
