"""The cohort page as one learner sees it: the session, the prompts, the room, the open poll."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from drip.domain import cohort
from drip.domain.messages import starts_at_text
from drip.services import accounts
from drip.services.cohort import links, room
from drip.services.cohort.links import Visitor
from drip.services.learners.language import language_for
from drip.services.media import slides
from drip.services.media.slides import Slide
from drip.services.cohort.prompts import Prompt, learner_context, prompt_text, prompts
from drip.domain.zones import learner_zone


@dataclass
class CohortPage:
    """Everything the page template shows, without names beyond first names, phones or emails."""

    first_name: str
    title: str
    language: str  # the learner's (domain.languages.reading): the page's words and the prompts' text
    starts_at: str
    join_url: str
    moment: str  # "before", "live" or "after": what the room section shows
    prompts: list[Prompt] = field(default_factory=list)
    questions: list[room.RoomQuestion] = field(default_factory=list)
    answered: list[room.RoomQuestion] = field(default_factory=list)
    poll_step_id: int | None = None
    poll_text: str = ""
    slides: list[Slide] = field(default_factory=list)  # the trainer's slides and images, once shown


def _moment(visitor: Visitor, now: datetime) -> str:
    ts = visitor.training_session
    if room.is_live(ts, now):
        return "live"
    return "before" if now < ts.starts_at else "after"


def build(visitor: Visitor, config: Mapping, now: datetime) -> CohortPage:
    """The page of one learner as of now."""
    ts, learner = visitor.training_session, visitor.learner
    tz = learner_zone(learner.timezone, ts.timezone)
    trainer = accounts.trainer_by_id(ts.trainer_id)
    trainer_name = cohort.first_name_only(trainer.name if trainer else "")
    language = language_for(learner, training_session=ts)
    page_url = links.url(config, visitor.enrollment.cohort_token)
    ctx = learner_context(learner, ts, tz, trainer_name, page_url, now, language)
    ctx["name"] = cohort.first_name_only(learner.name)  # the page shows no surname, the learner's included
    page = CohortPage(
        first_name=ctx["first_name"],
        title=ts.title,
        language=language,
        starts_at=starts_at_text(ts.starts_at, tz, language),
        join_url=ts.join_url or "",
        moment=_moment(visitor, now),
        prompts=prompts(ts, learner, ctx, language),
        slides=slides.visible(ts, now),
    )
    if page.moment == "live":
        page.questions = room.live_questions(ts, learner.id)
        if (poll := room.open_poll(ts, now)) is not None:
            page.poll_step_id, page.poll_text = poll.id, prompt_text(poll, ctx, language)
    if page.moment == "after":
        page.answered = room.answered_questions(ts)
    return page
