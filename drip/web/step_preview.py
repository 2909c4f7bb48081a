"""A step as Maya, the sample learner, gets it: rendered as of the step's own send moment, with the
segments she is billed for (one counter, the learner's), and errors in plain words."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from drip.domain import catalog
from drip.domain import messages as compose
from drip.domain import templates
from drip.domain.digests import fit_sms
from drip.domain.schedule import StepTiming, due_at
from drip.domain.step_names import step_name
from drip.domain.translations import StepText, pick
from drip.domain.when import starts_at_text, starts_in
from drip.web import quiz_form

# The sample session Maya is enrolled in (templates.sample_context names it): Tue 14 Oct, 9:30 AM EDT.
SAMPLE_ZONE = ZoneInfo("America/New_York")
SAMPLE_START = datetime(2025, 10, 14, 9, 30, tzinfo=SAMPLE_ZONE)
SAMPLE_END = SAMPLE_START + timedelta(hours=2)


# The editor's insert buttons: (variable, button label, step kinds it is for; "" for every kind).
VARIABLES = (
    ("first_name", "First name", ""),
    ("session.title", "Session title", ""),
    ("session.starts_at", "Start time", ""),
    ("session.starts_in", "Starts in…", ""),
    ("session.join_url", "Join link", ""),
    ("trainer.name", "Your name", ""),
    ("sms_number", "Drip number", ""),
    ("choices", "Choices", "poll quiz"),
    ("reply_hint", "How to reply", "poll quiz practice discussion live_prompt"),
    ("cohort_url", "Group page link", ""),
    ("testimonial", "Testimonial quote", "testimonial"),
)


def as_json(shown: dict) -> dict:
    """A preview as the editor's script reads it."""
    segments = shown.get("segments")
    return {
        "error": shown.get("error"),
        "body": shown.get("body"),
        "subject": shown.get("subject"),
        "moment": shown.get("moment"),
        "segments": None
        if segments is None
        else {"units": segments.units, "segments": segments.segments, "encoding": segments.encoding},
        "image": shown.get("image"),  # the step's picture: {url, alt}
        "with_link": {"units": link.units, "segments": link.segments} if (link := shown.get("with_link")) else None,
    }


def default_name(step) -> str:
    """What the admin calls a step without a label."""
    if step is None:
        return "its kind and moment (“Reminder · 1 day before start”)"
    return step_name(step.kind, None, step.anchor, step.offset, step.local_time)


def send_moment(step) -> datetime | None:
    """When the step reaches Maya for the sample session; None when its timing cannot be read."""
    try:
        timing = StepTiming(step.anchor, step.offset, step.local_time)
        return due_at(timing, starts_at=SAMPLE_START, ends_at=SAMPLE_END, tz=SAMPLE_ZONE, window=None)
    except (ValueError, TypeError):
        return None


def in_language(step, language: str) -> SimpleNamespace:
    """The step as a learner of `language` reads it: its translation into that language, else its own text."""
    own = StepText(step.body, step.subject, step.choices, step.explain, step.follow_up)
    read = pick(language, own, getattr(step, "translations", None))
    return SimpleNamespace(
        kind=step.kind,
        channel=step.channel,
        anchor=step.anchor,
        offset=step.offset,
        local_time=step.local_time,
        body=read.body,
        subject=read.subject,
        choices=read.choices,
        explain=read.explain,
        follow_up=read.follow_up,
    )


def sample_for(step, trainer_name: str, language: str = "en") -> dict:
    """The sample learner's context for this step, as of its send moment, with Drip's words in `language`."""
    context = templates.sample_context()
    context["trainer"] = {"name": trainer_name}
    context["reply_hint"] = compose.reply_hint(step.kind, step.channel, step.choices, language)
    context["choices"] = compose.choices_text(step.kind, step.choices)
    context["session"] = {**context["session"], "starts_at": starts_at_text(SAMPLE_START, SAMPLE_ZONE, language)}
    moment = send_moment(step)
    if moment is not None:
        context["session"]["starts_in"] = starts_in(SAMPLE_START, moment, SAMPLE_ZONE, language)
    elif language != "en":
        context["session"]["starts_in"] = starts_in(
            SAMPLE_START, SAMPLE_START - timedelta(days=6), SAMPLE_ZONE, language
        )
    return context


def preview(step, trainer_name: str, language: str = "en") -> dict:
    """The step rendered for the sample learner reading `language` (its translation, else its own text):
    body, subject, follow-up, segments; or {"error": ...}."""
    step = in_language(step, language)
    context = sample_for(step, trainer_name, language)
    try:
        body = templates.render(step.body, context)
        subject = templates.render(step.subject, context) if step.subject else None
        follow_up = templates.render(step.follow_up["body"], context) if step.follow_up else None
    except templates.TemplateProblem as problem:
        return {"error": str(problem)}
    sms = catalog.channel(step.channel) is not None and catalog.channel(step.channel).shape == "text"
    if step.kind == "digest" and sms:  # as sent: only the answers that fit
        body, _ = fit_sms(context["answers"], lambda shown: templates.render(step.body, {**context, "answers": shown}))
    moment = send_moment(step)
    result = {
        "body": body,
        "subject": subject,
        "follow_up": follow_up,
        "moment": moment.astimezone(SAMPLE_ZONE).strftime("%a %d %b, %H:%M %Z") if moment else None,
    }
    if sms:
        result["segments"] = templates.sms_segments(body.strip())
    if step.kind == "quiz":
        result["verdicts"] = quiz_form.verdict_previews(step.explain, language)
    return result
