"""The cohort page as one learner sees it: the session's shared snapshot, and the learner's own part."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from drip.domain import cohort
from drip.domain.messages import starts_at_text
from drip.domain.zones import learner_zone
from drip.services.cohort import links, room, shared
from drip.services.cohort.links import Visitor
from drip.services.cohort.prompts import Prompt, learner_context, own_answers, prompt_text
from drip.services.cohort.shared import SharedPart
from drip.services.learners.language import language_for
from drip.services.media.slides import Slide


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
    answered: tuple[room.RoomQuestion, ...] = ()
    poll_step_id: int | None = None
    poll_text: str = ""
    slides: tuple[Slide, ...] = ()  # the trainer's slides and images, once shown
    shared: SharedPart | None = None  # the snapshot the public part comes from (its HTML is made once)
    question_rows: tuple = ()  # the room's questions as every reader gets them (room_rows), for the same reason
    session_id: int = 0


def build(visitor: Visitor, config: Mapping, now: datetime) -> CohortPage:
    """The page of one learner as of now: the shared snapshot, with the learner's own part read for them."""
    ts, learner = visitor.training_session, visitor.learner
    tz = learner_zone(learner.timezone, ts.timezone)
    language = language_for(learner, training_session=ts)
    public = shared.snapshot(ts, language, now)
    page_url = links.url(config, visitor.enrollment.cohort_token)
    ctx = learner_context(learner, ts, tz, public.trainer_name, page_url, now, language)
    ctx["name"] = cohort.first_name_only(learner.name)  # the page shows no surname, the learner's included
    mine = own_answers(ts, learner, [step.id for step in public.prompts])
    page = CohortPage(
        first_name=ctx["first_name"],
        title=ts.title,
        language=language,
        starts_at=starts_at_text(ts.starts_at, tz, language),
        join_url=ts.join_url or "",
        moment=public.moment,
        prompts=[
            Prompt(
                step.id,
                step.kind,
                prompt_text(step, ctx, language),
                [answer for answer in public.peers.get(step.id, ()) if answer.author != learner.id],
                mine[step.id],
            )
            for step in public.prompts
        ],
        slides=public.slides,
        answered=public.answered,
        shared=public,
        session_id=ts.id,
    )
    if page.moment == "live":
        page.question_rows, voted = room.shown_and_voted(ts, learner.id)
        page.questions = [room.RoomQuestion(qid, body, votes, qid in voted) for qid, body, votes in page.question_rows]
        if public.poll is not None:
            page.poll_step_id, page.poll_text = public.poll.id, prompt_text(public.poll, ctx, language)
    return page
