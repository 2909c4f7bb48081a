"""GET /sessions/{id}/quiz-results: what the session's quizzes show about recall."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from drip.domain.quiz import letter
from drip.services.learning.results import quiz_results
from drip.web.api.operations import operation
from drip.web.api.activity_resources import LearnerRef
from drip.web.api.sessions import owned_or_404


class WrongChoiceOut(BaseModel):
    """The wrong choice picked most often."""

    index: int
    letter: str
    text: str
    count: int


class QuizStepOut(BaseModel):
    """One quiz step: learners asked, answered, right at the first try, right only after a re-ask."""

    step_id: int
    sequence_id: int
    body: str
    choices: list[str]
    answer: int | None
    asked: int
    answered: int
    correct_first_try: int
    correct_after_reask: int
    most_chosen_wrong: WrongChoiceOut | None


class QuizLearnerOut(BaseModel):
    """One learner: quizzes answered and answered right, follow-ups received, quiet since when."""

    learner: LearnerRef
    answered: int
    correct: int
    follow_ups: int
    quiet_since: datetime | None


class QuizResultsOut(BaseModel):
    """Every quiz step of the session, and every enrolled learner."""

    session_id: int
    quizzes: list[QuizStepOut]
    learners: list[QuizLearnerOut]


@operation("GET", "/sessions/<int:session_id>/quiz-results", summary="Quiz results", response=QuizResultsOut)
def quiz_results_api(session_id: int) -> QuizResultsOut:
    """Per quiz step: asked, answered, correct at the first try, correct after a re-ask and the most
    chosen wrong answer; per learner: quizzes answered and right, follow-ups received, quiet since."""
    ts = owned_or_404(session_id)
    results = quiz_results(ts)
    quizzes = []
    for item in results.quizzes:
        choices, wrong = item.step.choices or [], item.tally.most_chosen_wrong
        quizzes.append(
            QuizStepOut(
                step_id=item.step.id,
                sequence_id=item.step.sequence_id,
                body=item.step.body,
                choices=choices,
                answer=item.step.answer,
                asked=item.asked,
                answered=item.tally.answered,
                correct_first_try=item.tally.correct_first_try,
                correct_after_reask=item.tally.correct_after_reask,
                most_chosen_wrong=None
                if wrong is None or wrong >= len(choices)
                else WrongChoiceOut(
                    index=wrong, letter=letter(wrong), text=choices[wrong], count=item.tally.wrong_counts[wrong]
                ),
            )
        )
    learners = [
        QuizLearnerOut(
            learner=LearnerRef.of(row.learner),
            answered=row.answered,
            correct=row.correct,
            follow_ups=row.follow_ups,
            quiet_since=row.quiet_since,
        )
        for row in results.learners
    ]
    return QuizResultsOut(session_id=ts.id, quizzes=quizzes, learners=learners)
