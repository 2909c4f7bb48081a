"""Open polls, pure: routing rule 3 and the word cloud's words."""

from dataclasses import replace
from datetime import timedelta

from drip.domain.cohort import attributed, link_alive, masked, peers_see
from drip.domain.routing import Route
from drip.domain.word_cloud import cloud, words_of
from tests.unit.test_routing import CHOICES, LIVE, START, learner, sms, step

POLLING = replace(LIVE, open_poll_step_id=99)


def test_while_the_projector_shows_an_open_poll_a_text_answers_it():
    now = START + timedelta(minutes=30)
    assert sms("More practice time please", learner(sessions=(POLLING,)), now) == Route(
        "poll_vote", session_id=1, step_id=99
    )
    asked = replace(step(9, "poll", START + timedelta(minutes=20)), step_id=99)
    assert sms("Role plays", learner(sessions=(POLLING,), steps=(asked,)), now).delivery_id == 9
    # Keywords and a fitting choice still come first (rules 1 and 2); without the poll, a live question.
    assert sms("STOP", learner(sessions=(POLLING,)), now).kind == "opt_out"
    choice = step(3, "poll", START + timedelta(minutes=25), choices=CHOICES)
    assert sms("2", learner(sessions=(POLLING,), steps=(choice,)), now).choice_index == 1
    assert sms("More practice time please", learner(), now).kind == "live_question"
    # Once the session is over, the open poll no longer catches texts.
    assert sms("More practice", learner(sessions=(POLLING,)), START + timedelta(hours=3)).kind != "poll_vote"


def test_words_count_once_per_learner_in_any_case_without_common_or_short_words():
    answers = [
        (1, "Practice, practice, PRACTICE!"),
        (2, "the practice of feedback"),
        (3, "Practice the hard talks"),
        (4, "More role play"),
        (5, "Feedback on the spot"),
        (6, "It is ok"),
    ]
    words = {item["word"]: item["count"] for item in cloud(answers)}
    assert words["practice"] == 3 and words["feedback"] == 2
    assert "the" not in words and "is" not in words and "ok" not in words and "it" not in words
    assert cloud(answers)[0] == {"word": "practice", "count": 3}


def test_profanity_is_masked_and_languages_drop_their_own_common_words():
    assert words_of("This is shit") == {"s***"}
    assert words_of("Más práctica para todos", "es") == {"práctica"}
    assert words_of("Plus de pratique pour nous", "fr") == {"pratique"}
    assert words_of("Mehr Übung für uns", "de-AT") == {"übung", "uns"}
    assert words_of("Mais prática com feedback", "pt") == {"prática", "feedback"}
    assert words_of("2024 rocks 123") == {"rocks"}


def test_the_cohort_page_rules():
    assert masked("Call me on +1 415 555 0101 or ada@example.com") == "Call me on [hidden] or [hidden]"
    assert peers_see(shared=False, private=False, opted_out=False, publish="all")
    assert not peers_see(shared=False, private=False, opted_out=False, publish="approved")
    assert not peers_see(shared=True, private=True, opted_out=False, publish="all")
    assert not peers_see(shared=True, private=False, opted_out=True, publish="approved")
    assert attributed("Ada", "first_name") == "Ada" and attributed("Ada", "colleague") == "a colleague"
    assert link_alive(START, 90, START + timedelta(days=90)) and not link_alive(START, 90, START + timedelta(days=91))


def test_a_text_after_an_open_poll_was_sent_answers_it():
    asked = step(4, "poll", START - timedelta(days=1))
    decided = sms("Role plays, please", learner(sessions=(), steps=(asked,)), START)
    assert decided == Route("poll_vote", session_id=1, delivery_id=4, step_id=40)
