"""The demo's picture: a card of the Situation · Behaviour · Impact model, drawn once into the demo trainer's library."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from drip.models import MediaItem, Trainer
from drip.services.media import library

FILENAME = "sbi-model.png"
ALT = "Situation, Behaviour, Impact: the three parts of feedback that lands"
_PARTS = (("Situation", "When and where", (13, 110, 253)), ("Behaviour", "What you saw", (25, 135, 84)))
_LAST = ("Impact", "What it changed", (214, 51, 132))


def _card() -> bytes:
    """A 900×480 PNG: three coloured boxes, one per part of the model."""
    image = Image.new("RGB", (900, 480), (248, 249, 250))
    draw = ImageDraw.Draw(image)
    draw.text((40, 30), "Feedback that lands", fill=(33, 37, 41), font_size=44)
    for index, (title, hint, colour) in enumerate((*_PARTS, _LAST)):
        left = 40 + index * 280
        draw.rounded_rectangle((left, 130, left + 260, 430), radius=24, fill=colour)
        draw.text((left + 24, 170), title, fill="white", font_size=38)
        draw.text((left + 24, 240), hint, fill="white", font_size=26)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def demo_picture(trainer: Trainer) -> MediaItem:
    """The demo trainer's SBI card, added to their library the first time; commits then."""
    for item in library.items(trainer.id, kind="image"):
        if item.filename == FILENAME:
            return item
    return library.add_to_library(trainer.id, _card(), FILENAME, ALT)
