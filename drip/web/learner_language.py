"""Pages a learner reads (unsubscribe, keeping answers private, the cohort page) in their language.

Flask-Babel renders those templates' {{ _("...") }} from the same catalogs as domain/words.py; the
admin stays in English. A learner page calls `speak(language)` once it knows who reads it.
"""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_date
from flask import Flask, g
from flask_babel import Babel, get_locale, refresh

from drip.domain.languages import DEFAULT, SUPPORTED
from drip.domain.words import CATALOGS, DOMAIN
from drip.domain.zones import zone

babel = Babel()


def _locale() -> str:
    return g.get("learner_language") or DEFAULT


def speak(language: str | None) -> None:
    """Render this request's learner pages in `language` (a supported one; else English)."""
    g.learner_language = language if language in SUPPORTED else DEFAULT
    refresh()  # Flask-Babel keeps the locale it chose first: choose again


def _english_first() -> None:
    # A request starts in English until a learner page says otherwise (g can outlive a request in tests).
    if g.pop("learner_language", None) is not None:
        refresh()


def learner_date(moment: datetime | None, tz_name: str | None) -> str:
    """A day as the reading learner writes it ("14 de octubre de 2026"), in their zone."""
    if moment is None:
        return ""
    local = moment.astimezone(zone(tz_name or "UTC") or zone("UTC"))
    return format_date(local.date(), format="long", locale=str(get_locale() or DEFAULT))


def init_app(app: Flask) -> None:
    """Bind Flask-Babel to Drip's catalogs; learner pages choose their language with speak()."""
    babel.init_app(app, locale_selector=_locale, default_translation_directories=str(CATALOGS), default_domain=DOMAIN)
    app.jinja_env.filters["learner_date"] = learner_date
    app.before_request(_english_first)
