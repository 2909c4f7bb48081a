"""A step's picture in its message: an MMS to US and Canadian numbers, a link in other texts, inline in email.

Pure: the picture was loaded with the batch (domain.outgoing.StepImage); nothing is read here.
"""

from __future__ import annotations

import html
from dataclasses import replace

import phonenumbers

from drip.domain.outgoing import InlineImage, OutgoingMessage, StepImage

# Where carriers take MMS from a Twilio long code or toll-free number; elsewhere the link goes in the text.
MMS_REGIONS = frozenset({"US", "CA"})


def takes_mms(phone: str) -> bool:
    """True for a number in the US or Canada (an MMS reaches it); False for any other or an unreadable one."""
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(phone, None)) in MMS_REGIONS
    except phonenumbers.NumberParseException:
        return False


def content_id(image: StepImage) -> str:
    """The Content-ID the email's HTML names the picture by."""
    return f"drip-image-{image.id}"


def image_html(image: StepImage) -> str:
    """The <img> an email shows the picture with: by cid:, with its alt text, scaled to the reading width."""
    return (
        f'<p style="margin:16px 0 0"><img src="cid:{content_id(image)}" alt="{html.escape(image.alt)}"'
        ' style="display:block;max-width:100%;height:auto;border:0"></p>'
    )


def add_to_text(message: OutgoingMessage, image: StepImage) -> OutgoingMessage:
    """An SMS with its picture: as MMS media to US and Canadian numbers, else the picture's link on its own line."""
    if takes_mms(message.to):
        return replace(message, media_urls=(image.url,))
    return replace(message, body=f"{message.body}\n{image.url}".strip())


def inline_image(image: StepImage) -> InlineImage | None:
    """The email attachment showing the picture; None when its bytes were not loaded."""
    if image.data is None:
        return None
    return InlineImage(content_id(image), image.filename, image.content_type, image.data, image.url)
