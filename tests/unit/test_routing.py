"""Reply routing in DESIGN.md order: keywords, an answer to the poll or quiz it fits, live questions,
answers to the latest step, unclassified."""

from datetime import datetime, timedelta, timezone

import pytest

from hypothesis import given
from hypothesis import strategies as st

from drip.domain.choices import parse_choice
from drip.domain.keywords import classify_keyword
from drip.domain.routing import LearnerContext, Route, SentStep, SessionWindow, route

UTC = timezone.utc
START = datetime(2025, 3, 10, 14, 0, tzinfo=UTC)
END = START + timedelta(hours=2)
LIVE = SessionWindow(1, START, END, join_keyword="FEEDBACK24")
CHOICES = ("Feedback", "Delegation", "Difficult conversations")


def step(delivery_id, kind, sent_at, *, session_id=1, channel="sms", choices=(), answered=False):
    return SentStep(
        delivery_id,
        step_id=delivery_id * 10,
        session_id=session_id,
        kind=kind,
        channel=channel,
        sent_at=sent_at,
        choices=choices,
        answered=answered,
    )


def learner(*, sessions=(LIVE,), steps=(), opted_out=None):
    return LearnerContext(learner_id=7, sessions=sessions, recent_steps=steps, sms_opted_out=opted_out)


def sms(body, context, now, **kwargs):
    return route(body, channel="sms", context=context, now=now, **kwargs)


# --- keywords --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, expected",
    [
        ("STOP", "opt_out"),
        ("stop", "opt_out"),
        ("  Stop.  ", "opt_out"),
        ("STOP!!", "opt_out"),
        ("StopAll", "opt_out"),
        ("unsubscribe", "opt_out"),
        ("Cancel", "opt_out"),
        ("END", "opt_out"),
        ("quit", "opt_out"),
        ("ＳＴＯＰ", "opt_out"),
        ("START", "opt_in"),
        ("yes", "opt_in"),
        ("Unstop", "opt_in"),
        ("HELP", "help"),
        ("info?", "help"),
        ("stop sending me this", None),
        ("please stop", None),
        ("help me with feedback", None),
        ("STOPP", "opt_out"),  # German (DESIGN.md, "Languages"), no longer a near-miss
        ("", None),
        ("   ", None),
        ("😀", None),
        ("S T O P", None),
    ],
)
def test_classify_keyword(body, expected):
    assert classify_keyword(body) == expected


def test_keywords_win_over_a_live_session():
    assert sms("Stop.", learner(), START) == Route("opt_out")
    assert sms("HELP", learner(), START) == Route("help")


def test_keyword_sentence_during_live_session_is_a_question():
    assert sms("stop sending me this", learner(), START) == Route("live_question", session_id=1)


def test_keywords_are_sms_only():
    assert route("STOP", channel="email", context=learner(), now=START) == Route("live_question", session_id=1)


def test_unknown_sender_can_still_opt_out_and_in():
    assert sms("STOP", None, START) == Route("opt_out")
    assert sms("start", None, START) == Route("opt_in")


def test_yes_from_an_opted_out_learner_opts_in():
    poll = step(1, "poll", START - timedelta(days=30), choices=("Yes", "No"))
    assert sms("YES", learner(sessions=(), steps=(poll,), opted_out=True), START) == Route("opt_in")


def test_yes_from_a_subscribed_learner_answers_the_poll():
    poll = step(1, "poll", START - timedelta(days=1), choices=("Yes", "No"))
    context = learner(sessions=(), steps=(poll,), opted_out=False)
    assert sms("Yes", context, START) == Route("poll_vote", 1, 1, 10, choice_index=0)


def test_yes_when_opt_out_state_unknown_opts_in():
    poll = step(1, "poll", START - timedelta(days=1), choices=("Yes", "No"))
    assert sms("Yes", learner(sessions=(), steps=(poll,)), START) == Route("opt_in")


# --- live questions --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "now, live",
    [
        pytest.param(START - timedelta(minutes=15), True, id="exactly-15-min-before-start"),
        pytest.param(START - timedelta(minutes=15, seconds=1), False, id="1s-earlier"),
        pytest.param(START + timedelta(minutes=30), True, id="during"),
        pytest.param(END + timedelta(minutes=15), True, id="exactly-15-min-after-end"),
        pytest.param(END + timedelta(minutes=15, seconds=1), False, id="1s-later"),
    ],
)
def test_live_window_edges(now, live):
    expected = Route("live_question", session_id=1) if live else Route("unclassified")
    assert sms("How do I give feedback upward?", learner(), now) == expected


def test_two_live_sessions_pick_the_most_recently_started():
    earlier = SessionWindow(1, START - timedelta(hours=1), END)
    later = SessionWindow(2, START, END)
    context = learner(sessions=(later, earlier))
    assert sms("question", context, START + timedelta(minutes=5)) == Route("live_question", session_id=2)


def test_learner_in_two_sessions_uses_the_live_one():
    next_week = SessionWindow(2, START + timedelta(days=7), END + timedelta(days=7))
    context = learner(sessions=(next_week, LIVE))
    assert sms("question", context, START) == Route("live_question", session_id=1)


def test_learner_in_two_sessions_neither_live_answers_latest_step():
    other = SessionWindow(2, START + timedelta(days=7), END + timedelta(days=7))
    steps = (
        step(1, "practice", START + timedelta(days=1), session_id=1),
        step(2, "discussion", START + timedelta(days=6), session_id=2),
    )
    context = learner(sessions=(LIVE, other), steps=steps)
    assert sms("My thoughts", context, START + timedelta(days=6, hours=1)) == Route("discussion_reply", 2, 2, 20)


def test_live_question_beats_a_poll_sent_more_than_an_hour_before():
    poll = step(1, "poll", START - timedelta(hours=1, seconds=1), choices=CHOICES)
    assert sms("2", learner(steps=(poll,)), START) == Route("live_question", session_id=1)


def test_emoji_and_long_bodies_are_live_questions():
    assert sms("🤔👍", learner(), START) == Route("live_question", session_id=1)
    assert sms("Why? " * 320, learner(), START) == Route("live_question", session_id=1)


# --- join keywords ---------------------------------------------------------------------------


def test_unknown_sender_joins_a_live_session_by_keyword():
    assert sms(" feedback24 ", None, START, joinable_sessions=(LIVE,)) == Route("join", session_id=1)


def test_unenrolled_learner_joins_by_keyword():
    context = learner(sessions=())
    assert sms("FEEDBACK24!", context, START, joinable_sessions=(LIVE,)) == Route("join", session_id=1)


def test_join_keyword_only_works_while_live():
    later = START - timedelta(hours=1)
    assert sms("FEEDBACK24", None, later, joinable_sessions=(LIVE,)) == Route("unclassified")


def test_join_keyword_inside_a_sentence_is_not_a_join():
    assert sms("is FEEDBACK24 the code?", None, START, joinable_sessions=(LIVE,)) == Route("unclassified")


# --- answers to steps ------------------------------------------------------------------------

NOW = END + timedelta(days=2)


@pytest.mark.parametrize(
    "body, index",
    [
        ("2", 1),
        ("2.", 1),
        (" 2 ", 1),
        ("#2", 1),
        ("2)", 1),
        ("(3)", 2),
        ("two", 1),
        ("Two!", 1),
        ("option 1", 0),
        ("delegation", 1),
        ("DELEGATION.", 1),
        ("“Delegation”", 1),
        ("difficult   conversations", 2),
        ("2. Delegation", 1),
        ("deleg", 1),
        ("fee", 0),
    ],
)
def test_poll_answers(body, index):
    poll = step(5, "poll", NOW - timedelta(days=1), choices=CHOICES)
    assert sms(body, learner(steps=(poll,)), NOW) == Route("poll_vote", 1, 5, 50, choice_index=index)


@pytest.mark.parametrize("body", ["0", "4", "99", "four", "1 and 2", "1, 2", "de", "I'm not sure", "2. Feedback", "😀"])
def test_unrecognised_poll_answers_are_kept_with_the_poll(body):
    poll = step(5, "poll", NOW - timedelta(days=1), choices=CHOICES)
    assert sms(body, learner(steps=(poll,)), NOW) == Route("unclassified", 1, 5, 50)


@pytest.mark.parametrize(
    "body, choices, expected",
    [
        ("2025", ("2024", "2025"), 1),  # out-of-range number that is a choice's text
        ("1", ("3", "1", "2"), 0),  # numbers are positions
        ("d", ("Delegation", "Design"), None),  # too short for a prefix
        ("des", ("Design", "Desk"), None),  # ambiguous prefix
        ("desi", ("Design", "Desk"), 0),
        ("ten", tuple("abcdefghij"), 9),
        ("", CHOICES, None),
        ("1", (), None),
    ],
)
def test_parse_choice(body, choices, expected):
    assert parse_choice(body, choices) == expected


def test_practice_and_discussion_replies():
    practice = step(1, "practice", NOW - timedelta(days=1))
    assert sms("Tried it twice", learner(steps=(practice,)), NOW) == Route("practice_report", 1, 1, 10)
    discussion = step(2, "discussion", NOW - timedelta(hours=1))
    context = learner(steps=(practice, discussion))
    assert sms("I think so", context, NOW) == Route("discussion_reply", 1, 2, 20)


def test_steps_that_do_not_await_answers_are_skipped():
    practice = step(1, "practice", NOW - timedelta(days=3))
    later = (step(2, "reminder", NOW - timedelta(days=1)), step(3, "info", NOW - timedelta(hours=1)))
    assert sms("Done!", learner(steps=(practice, *later)), NOW) == Route("practice_report", 1, 1, 10)


def test_steps_older_than_14_days_are_ignored():
    old = step(1, "practice", NOW - timedelta(days=14, seconds=1))
    assert sms("Done", learner(steps=(old,)), NOW) == Route("unclassified")
    edge = step(2, "practice", NOW - timedelta(days=14))
    assert sms("Done", learner(steps=(old, edge)), NOW) == Route("practice_report", 1, 2, 20)


def test_1600_character_practice_report():
    practice = step(1, "practice", NOW - timedelta(days=1))
    assert sms("x" * 1600, learner(steps=(practice,)), NOW) == Route("practice_report", 1, 1, 10)


# --- email replies ---------------------------------------------------------------------------


def email(body, context, now, **kwargs):
    return route(body, channel="email", context=context, now=now, **kwargs)


def test_email_reply_address_names_its_step_over_a_more_recent_one():
    poll = step(1, "poll", NOW - timedelta(days=5), channel="email", choices=CHOICES)
    practice = step(2, "practice", NOW - timedelta(days=1), channel="email")
    context = learner(steps=(poll, practice))
    assert email("Delegation", context, NOW, replied_delivery_id=1) == Route("poll_vote", 1, 1, 10, choice_index=1)
    assert email("Delegation", context, NOW) == Route("practice_report", 1, 2, 20)


def test_email_reply_to_a_step_that_awaits_nothing_is_unclassified_with_its_step():
    info = step(3, "info", NOW - timedelta(days=1), channel="email")
    practice = step(2, "practice", NOW - timedelta(days=2), channel="email")
    context = learner(steps=(practice, info))
    assert email("Thanks!", context, NOW, replied_delivery_id=3) == Route("unclassified", 1, 3, 30)


def test_email_reply_to_an_old_step_still_answers_it():
    old = step(4, "practice", NOW - timedelta(days=20), channel="email")
    assert email("Late report", learner(steps=(old,)), NOW, replied_delivery_id=4) == Route("practice_report", 1, 4, 40)


def test_email_reply_address_not_in_context_falls_back_to_latest_step():
    practice = step(2, "practice", NOW - timedelta(days=1), channel="email")
    assert email("Report", learner(steps=(practice,)), NOW, replied_delivery_id=999) == Route(
        "practice_report", 1, 2, 20
    )


# --- nothing to attach to --------------------------------------------------------------------


@pytest.mark.parametrize("body", ["", "   ", "\n\t "])
def test_empty_bodies_are_unclassified_even_when_live(body):
    assert sms(body, learner(), START) == Route("unclassified")
    assert email(body, None, START) == Route("unclassified")


def test_unknown_sender_is_kept_as_unclassified():
    assert sms("Hi, who is this?", None, START) == Route("unclassified")
    assert email("Hello", None, START, replied_delivery_id=3) == Route("unclassified")


def test_known_learner_with_nothing_pending_is_unclassified():
    assert sms("Hello", learner(sessions=(), steps=()), NOW) == Route("unclassified")


# --- v2: an answer to the poll or quiz it fits, before the live board ------------------------

FOUR = ("Techniques", "Tricky situations", "Theory", "Practice time")


@pytest.mark.parametrize(
    "body, index",
    [
        ("2", 1),
        ("2)", 1),
        ("#2", 1),
        ("option 2", 1),
        ("Option 2.", 1),
        ("B", 1),
        ("b.", 1),
        ("(b)", 1),
        (" b ", 1),
        ("choice b", 1),
        ("d", 3),
        ("tricky situations", 1),
        ("THEORY!", 2),
        ("4", 3),
        ("a)", 0),
    ],
)
def test_choice_forms(body, index):
    assert parse_choice(body, FOUR) == index


@pytest.mark.parametrize("body", ["e", "5", "ab", "b2", "1 or 2", "what is b?", "Plan B", "2 please, or 3"])
def test_not_a_choice(body):
    assert parse_choice(body, FOUR) is None


# Each row: (what the learner was sent, relative to START), the text, when it arrives, the route.
BEFORE = START - timedelta(minutes=7)
POLL_EARLY = step(1, "poll", START - timedelta(minutes=20), choices=FOUR)
POLL_DAY_BEFORE = step(2, "poll", START - timedelta(days=1), choices=FOUR)
LIVE_POLL = step(3, "poll", START + timedelta(minutes=20), choices=FOUR)
QUIZ_LIVE = step(4, "quiz", START + timedelta(minutes=30), choices=("True", "False"))
ANSWERED_POLL = step(5, "poll", START + timedelta(minutes=20), choices=FOUR, answered=True)
OTHER_SESSION_POLL = step(6, "poll", START - timedelta(hours=3), session_id=2, choices=FOUR)
PRACTICE_AFTER = step(7, "practice", END + timedelta(minutes=5))


@pytest.mark.parametrize(
    "steps, body, now, expected",
    [
        pytest.param((POLL_EARLY,), "2", BEFORE, Route("poll_vote", 1, 1, 10, choice_index=1), id="vote-7-min-before"),
        pytest.param((POLL_EARLY,), "How do I start?", BEFORE, Route("live_question", 1), id="question-7-min-before"),
        pytest.param((POLL_DAY_BEFORE,), "2", BEFORE, Route("live_question", 1), id="old-poll-gives-way-to-board"),
        pytest.param(
            (LIVE_POLL,),
            "b",
            START + timedelta(minutes=21),
            Route("poll_vote", 1, 3, 30, choice_index=1),
            id="live-poll-vote",
        ),
        pytest.param(
            (LIVE_POLL,),
            "3",
            END + timedelta(minutes=10),
            Route("poll_vote", 1, 3, 30, choice_index=2),
            id="live-poll-vote-late-in-session",
        ),
        pytest.param(
            (LIVE_POLL,),
            "Is theory enough?",
            START + timedelta(minutes=21),
            Route("live_question", 1),
            id="free-text-during-live-poll",
        ),
        pytest.param(
            (ANSWERED_POLL,),
            "2",
            START + timedelta(minutes=25),
            Route("live_question", 1),
            id="answered-poll-gives-way-to-board",
        ),
        pytest.param(
            (LIVE_POLL, QUIZ_LIVE),
            "false",
            START + timedelta(minutes=31),
            Route("quiz_answer", 1, 4, 40, choice_index=1),
            id="quiz-answer",
        ),
        pytest.param(
            (LIVE_POLL, QUIZ_LIVE),
            "2",
            START + timedelta(minutes=31),
            Route("quiz_answer", 1, 4, 40, choice_index=1),
            id="most-recent-fitting-step",
        ),
        pytest.param(
            (LIVE_POLL, QUIZ_LIVE),
            "4",
            START + timedelta(minutes=31),
            Route("poll_vote", 1, 3, 30, choice_index=3),
            id="older-step-whose-choice-it-is",
        ),
        pytest.param(
            (LIVE_POLL,),
            "2",
            END + timedelta(hours=2),
            Route("poll_vote", 1, 3, 30, choice_index=1),
            id="after-the-session-latest-step",
        ),
        pytest.param(
            (LIVE_POLL, PRACTICE_AFTER),
            "2",
            END + timedelta(hours=2),
            Route("practice_report", 1, 7, 70),
            id="after-the-session-practice-is-latest",
        ),
        pytest.param(
            (OTHER_SESSION_POLL,),
            "2",
            START - timedelta(hours=2, minutes=30),
            Route("poll_vote", 2, 6, 60, choice_index=1),
            id="poll-of-another-session-within-the-hour",
        ),
    ],
)
def test_routing_v2(steps, body, now, expected):
    assert sms(body, learner(steps=steps), now) == expected


def test_quiz_answer_outside_the_live_window():
    quiz = step(1, "quiz", NOW - timedelta(days=2), choices=("True", "False"))
    assert sms("true", learner(steps=(quiz,)), NOW) == Route("quiz_answer", 1, 1, 10, choice_index=0)
    assert sms("no idea", learner(steps=(quiz,)), NOW) == Route("unclassified", 1, 1, 10)


def test_email_reply_to_a_poll_email_during_the_session_is_a_vote():
    poll = step(1, "poll", NOW - timedelta(days=9), channel="email", choices=FOUR)
    assert email("c", learner(steps=(poll,)), START, replied_delivery_id=1) == Route(
        "poll_vote", 1, 1, 10, choice_index=2
    )


def test_email_reply_to_the_live_prompt_during_the_session_is_a_live_question():
    prompt = step(1, "live_prompt", START, channel="email")
    context = learner(steps=(prompt,))
    assert email("What about remote teams?", context, START + timedelta(minutes=5), replied_delivery_id=1) == Route(
        "live_question", session_id=1
    )
    assert email("Thanks", context, END + timedelta(days=1), replied_delivery_id=1) == Route("unclassified", 1, 1, 10)


# --- properties: no text is ever dropped -----------------------------------------------------

_context = st.builds(
    learner,
    sessions=st.sampled_from([(), (LIVE,)]),
    steps=st.lists(
        st.sampled_from(
            [POLL_EARLY, POLL_DAY_BEFORE, LIVE_POLL, QUIZ_LIVE, ANSWERED_POLL, OTHER_SESSION_POLL, PRACTICE_AFTER]
        ),
        max_size=4,
    ).map(tuple),
    opted_out=st.sampled_from([None, True, False]),
)
_when = st.integers(min_value=-3 * 24 * 60, max_value=20 * 24 * 60).map(
    lambda minutes: START + timedelta(minutes=minutes)
)


@given(
    body=st.text(max_size=80),
    context=st.one_of(st.none(), _context),
    now=_when,
    channel=st.sampled_from(["sms", "email"]),
)
def test_every_text_gets_a_route_and_answers_carry_their_step(body, context, now, channel):
    decided = route(body, channel=channel, context=context, now=now)
    assert decided.kind in (
        "opt_out",
        "opt_in",
        "help",
        "join",
        "live_question",
        "poll_vote",
        "quiz_answer",
        "practice_report",
        "discussion_reply",
        "unclassified",
    )
    if decided.kind in ("poll_vote", "quiz_answer", "practice_report", "discussion_reply"):
        assert decided.step_id is not None and decided.delivery_id is not None
    if decided.kind in ("poll_vote", "quiz_answer"):
        assert decided.choice_index is not None
    if decided.kind == "live_question":
        assert decided.session_id is not None and context is not None and context.live_session(now) is not None


@given(body=st.text(min_size=1, max_size=80).filter(lambda text: text.strip()), now=_when)
def test_a_live_session_never_loses_a_text_to_unclassified(body, now):
    context = learner(steps=(LIVE_POLL, QUIZ_LIVE))
    decided = sms(body, context, now)
    if LIVE.is_live(now) and decided.kind not in ("opt_out", "opt_in", "help"):
        assert decided.kind in ("live_question", "poll_vote", "quiz_answer")


def test_a_digit_of_another_script_is_text_not_a_choice():
    """A digit outside ASCII ('𑵐', '٢') names no choice and never breaks routing (found by hypothesis)."""
    from drip.domain.choices import parse_choice

    for body in ("𑵐", "٢", "option ٢", "٢ Listen"):
        assert parse_choice(body, ["Ask", "Listen"]) is None
    assert parse_choice("²", ["Ask", "Listen"]) == 1  # compatibility-normalised to "2", as typed on some keyboards
