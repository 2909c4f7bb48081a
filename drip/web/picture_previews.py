"""A step's previews as the step editor shows them: with its picture and in each language Drip writes."""

from __future__ import annotations

from flask import current_app, url_for
from flask_login import current_user

from drip.domain import languages, templates
from drip.models import Sequence, Step
from drip.services.media import library
from drip.web import step_preview


def preview(step: Step, language: str = "en") -> dict:
    """The step rendered for the sample learner reading `language` as of its send moment, signed with the
    trainer's own name; with its picture, and what a text costs with the picture's link added (outside the
    US and Canada)."""
    result = step_preview.preview(step, current_user.name or current_user.email, language)
    image = library.owned_item(current_user.id, step.image_id) if step.image_id else None
    if image is None or "error" in result:
        return result
    result["image"] = {"url": url_for("media_files.serve", token=image.token), "alt": image.alt_text}
    if result.get("segments") is not None:
        link = library.public_url(current_app.config, image.token)
        result["with_link"] = templates.sms_segments(f"{result['body'].strip()}\n{link}")
    return result


def previews(step: Step, sequence: Sequence) -> dict[str, dict]:
    """The step's preview in each language Drip writes: its own text in the sequence's, its translations."""
    return {
        code: preview(step, code)
        for code in languages.SUPPORTED
        if code == sequence.language or code in (step.translations or {})
    }
