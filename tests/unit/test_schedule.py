"""Due times across DST changes, send windows and late joiners.

Transitions used (local wall clock):
- America/New_York 2026-03-08 02:00 EST -> 03:00 EDT; 2026-11-01 02:00 EDT -> 01:00 EST
- Europe/London 2026-03-29 01:00 GMT -> 02:00 BST; 2026-10-25 02:00 BST -> 01:00 GMT
- Australia/Lord_Howe 2026-04-05 02:00 +11 -> 01:30 +10:30; 2026-10-04 02:00 +10:30 -> 02:30 +11
"""

import time as clock
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from drip.domain.durations import Offset, parse_offset
from drip.domain.schedule import (
    DEFAULT_WINDOW,
    PlannedDelivery,
    SendWindow,
    StepTiming,
    due_at,
    plan,
    plan_for_zones,
)

UTC = timezone.utc
NY, LONDON, LORD_HOWE = ZoneInfo("America/New_York"), ZoneInfo("Europe/London"), ZoneInfo("Australia/Lord_Howe")
ZONES = [NY, LONDON, LORD_HOWE, ZoneInfo("Asia/Kolkata"), ZoneInfo("UTC"), ZoneInfo("America/St_Johns")]
TRANSITIONS = [  # (zone, local date of the change)
    (NY, date(2026, 3, 8)),
    (NY, date(2026, 11, 1)),
    (LONDON, date(2026, 3, 29)),
    (LONDON, date(2026, 10, 25)),
    (LORD_HOWE, date(2026, 4, 5)),
    (LORD_HOWE, date(2026, 10, 4)),
]


def local(tz, *fields, fold=0):
    """An aware datetime at a local wall time."""
    return datetime(*fields, tzinfo=tz, fold=fold)


def due(timing, starts_at, ends_at=None, tz=NY, window=None):
    """due_at with a default session end one hour after the start."""
    ends_at = ends_at or starts_at + timedelta(hours=1)
    return due_at(timing, starts_at=starts_at, ends_at=ends_at, tz=tz, window=window)


# --- anchor + offset: calendar days keep the wall clock, hours are elapsed time -----------------


@pytest.mark.parametrize(("tz", "change"), TRANSITIONS)
@pytest.mark.parametrize("offset", ["-P7D", "-P4D", "-P1W"])
def test_days_before_keep_the_local_wall_clock_across_dst(tz, change, offset):
    starts_at = local(tz, change.year, change.month, change.day, 9) + timedelta(days=3)
    result = due(StepTiming("start", offset), starts_at, tz=tz)
    days = parse_offset(offset).days
    assert result.astimezone(tz).replace(tzinfo=None) == datetime(2026, change.month, change.day, 9) + timedelta(
        days=3 - days
    )
    assert result.astimezone(tz).utcoffset() != starts_at.utcoffset()  # really on the other side
    assert result.tzinfo is UTC


@pytest.mark.parametrize(("tz", "change"), TRANSITIONS)
def test_days_after_end_keep_the_local_wall_clock_across_dst(tz, change):
    ends_at = local(tz, change.year, change.month, change.day, 17) - timedelta(days=2)
    result = due(StepTiming("end", "P5D"), ends_at - timedelta(hours=8), ends_at, tz=tz)
    assert result.astimezone(tz).replace(tzinfo=None) == datetime(2026, change.month, change.day, 17) + timedelta(3)


@pytest.mark.parametrize(("tz", "change"), TRANSITIONS)
def test_local_time_0900_lands_at_0900_on_both_sides(tz, change):
    before = local(tz, change.year, change.month, change.day, 14) - timedelta(days=1)
    for offset, days_from_change in [("-P3D", -4), ("P2D", 1), ("PT0S", -1)]:
        result = due(StepTiming("start", offset, time(9)), before, tz=tz).astimezone(tz)
        assert (result.time(), result.date()) == (time(9), change + timedelta(days_from_change))


def test_hours_are_elapsed_time_not_wall_clock():
    starts_at = local(NY, 2026, 3, 7, 12)
    assert due(StepTiming("start", "P1D"), starts_at).astimezone(NY) == local(NY, 2026, 3, 8, 12)
    assert due(StepTiming("start", "PT24H"), starts_at).astimezone(NY) == local(NY, 2026, 3, 8, 13)
    # 03:05 EDT on the change day minus 15 real minutes is 01:50 EST.
    result = due(StepTiming("start", "-PT15M"), local(NY, 2026, 3, 8, 3, 5))
    assert result == datetime(2026, 3, 8, 6, 50, tzinfo=UTC)
    assert due(StepTiming("start", "-P1DT2H"), local(LONDON, 2026, 3, 30, 9), tz=LONDON) == datetime(
        2026, 3, 29, 6, tzinfo=UTC
    )


def test_days_landing_in_a_gap_move_forward():
    result = due(StepTiming("start", "-P7D"), local(NY, 2026, 3, 15, 2, 30))
    assert result == datetime(2026, 3, 8, 7, tzinfo=UTC)
    assert result.astimezone(NY).time() == time(3)


def test_days_landing_on_a_repeated_hour_take_the_first():
    result = due(StepTiming("start", "P7D"), local(NY, 2026, 10, 25, 1, 30))
    assert result == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT


def test_zero_offset_keeps_a_second_occurrence_anchor():
    second = local(NY, 2026, 11, 1, 1, 30, fold=1)  # 01:30 EST, after the clocks went back
    assert due(StepTiming("start", "PT0S"), second) == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("tz", "day", "wall", "expected_utc", "expected_local"),
    [
        (NY, date(2026, 3, 8), time(2, 30), datetime(2026, 3, 8, 7, tzinfo=UTC), time(3)),
        (NY, date(2026, 3, 8), time(2, 0), datetime(2026, 3, 8, 7, tzinfo=UTC), time(3)),
        (NY, date(2026, 3, 8), time(2, 59, 59, 999999), datetime(2026, 3, 8, 7, tzinfo=UTC), time(3)),
        (LONDON, date(2026, 3, 29), time(1, 30), datetime(2026, 3, 29, 1, tzinfo=UTC), time(2)),
        (LORD_HOWE, date(2026, 10, 4), time(2, 10), datetime(2026, 10, 3, 15, 30, tzinfo=UTC), time(2, 30)),
    ],
)
def test_local_time_in_a_gap_moves_forward(tz, day, wall, expected_utc, expected_local):
    starts_at = local(tz, day.year, day.month, day.day, 10) + timedelta(days=1)
    result = due(StepTiming("start", "-P1D", wall), starts_at, tz=tz)
    assert result == expected_utc
    assert result.astimezone(tz).time() == expected_local


@pytest.mark.parametrize(
    ("tz", "day", "wall", "expected_utc"),
    [
        (NY, date(2026, 11, 1), time(1, 30), datetime(2026, 11, 1, 5, 30, tzinfo=UTC)),  # EDT
        (LONDON, date(2026, 10, 25), time(1, 30), datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),  # BST
        (LORD_HOWE, date(2026, 4, 5), time(1, 45), datetime(2026, 4, 4, 14, 45, tzinfo=UTC)),  # +11
    ],
)
def test_repeated_local_time_takes_the_first_occurrence(tz, day, wall, expected_utc):
    starts_at = local(tz, day.year, day.month, day.day, 10)
    assert due(StepTiming("start", "PT0S", wall), starts_at, tz=tz) == expected_utc


def test_anchor_end_and_negative_and_zero_offsets():
    starts_at, ends_at = local(NY, 2026, 6, 10, 9), local(NY, 2026, 6, 10, 17)
    cases = {
        ("start", "PT0S"): local(NY, 2026, 6, 10, 9),
        ("end", "PT0S"): local(NY, 2026, 6, 10, 17),
        ("start", "-PT15M"): local(NY, 2026, 6, 10, 8, 45),
        ("end", "-PT30M"): local(NY, 2026, 6, 10, 16, 30),
        ("end", "P1D"): local(NY, 2026, 6, 11, 17),
        ("start", "-P7D"): local(NY, 2026, 6, 3, 9),
        ("end", "PT5H"): local(NY, 2026, 6, 11, 8),  # 22:00 is outside the window
    }
    for (anchor, offset), expected in cases.items():
        got = due(StepTiming(anchor, offset), starts_at, ends_at, window=DEFAULT_WINDOW)
        assert got == expected, (anchor, offset)


def test_times_given_in_any_zone_mean_the_same_instant():
    starts_at = local(NY, 2026, 6, 10, 9)
    timing = StepTiming("start", "-P7D", time(9))
    assert due(timing, starts_at) == due(timing, starts_at.astimezone(LORD_HOWE))


# --- the send window -----------------------------------------------------------------------------
AT_END = StepTiming("end", "PT0S")  # a session's end is outside it: the window applies


def at_end(moment, tz=NY, window=None):
    """due_at of a step at the end of a one-hour session ending at moment."""
    return due(AT_END, moment - timedelta(hours=1), moment, tz=tz, window=window)


@pytest.mark.parametrize(
    ("wall", "expected"),
    [
        (datetime(2026, 6, 10, 8), datetime(2026, 6, 10, 8)),  # exactly at start: inside
        (datetime(2026, 6, 10, 7, 59, 59), datetime(2026, 6, 10, 8)),
        (datetime(2026, 6, 10, 0, 30), datetime(2026, 6, 10, 8)),
        (datetime(2026, 6, 10, 20, 59, 59), datetime(2026, 6, 10, 20, 59, 59)),  # one second before end
        (datetime(2026, 6, 10, 21), datetime(2026, 6, 11, 8)),  # exactly at end: outside
        (datetime(2026, 6, 10, 23, 30), datetime(2026, 6, 11, 8)),
        (datetime(2026, 3, 7, 22), datetime(2026, 3, 8, 8)),  # next opening is after the change
        (datetime(2026, 11, 1, 1, 30), datetime(2026, 11, 1, 8)),
    ],
)
def test_window_edges(wall, expected):
    at = wall.replace(tzinfo=NY)
    got = due(AT_END, at - timedelta(hours=1), at, window=DEFAULT_WINDOW)
    assert got.astimezone(NY).replace(tzinfo=None) == expected


def test_window_start_in_a_gap_moves_forward():
    window = SendWindow(time(2, 30), time(21))
    got = at_end(local(NY, 2026, 3, 8, 1), window=window)
    assert got == datetime(2026, 3, 8, 7, tzinfo=UTC)  # 03:00 EDT


def test_window_wholly_inside_a_gap_waits_for_the_next_day():
    window = SendWindow(time(2, 10), time(2, 50))
    got = at_end(local(NY, 2026, 3, 8, 1), window=window)
    assert got.astimezone(NY) == local(NY, 2026, 3, 9, 2, 10)


def test_window_opening_on_a_repeated_hour_is_never_earlier():
    window = SendWindow(time(1, 45), time(21))
    unwindowed = local(NY, 2026, 11, 1, 1, 30, fold=1)  # 06:30 UTC
    got = at_end(unwindowed, window=window)
    assert got == datetime(2026, 11, 1, 6, 45, tzinfo=UTC)  # 01:45 EST, not 01:45 EDT


def test_window_in_lord_howe_half_hour_change():
    window = SendWindow(time(2, 15), time(3))
    got = at_end(local(LORD_HOWE, 2026, 10, 4, 1), tz=LORD_HOWE, window=window)
    assert got.astimezone(LORD_HOWE).replace(tzinfo=None) == datetime(2026, 10, 4, 2, 30)


# --- validation ----------------------------------------------------------------------------------


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="start before it ends"):
        SendWindow(time(21), time(8))
    with pytest.raises(ValueError, match="start before it ends"):
        SendWindow(time(8), time(8))
    with pytest.raises(ValueError, match="plain local times"):
        SendWindow(time(8, tzinfo=UTC), time(9))
    with pytest.raises(ValueError, match="anchor"):
        StepTiming("middle", "P1D")
    with pytest.raises(ValueError, match="months"):
        StepTiming("start", "P1M")
    with pytest.raises(ValueError, match="if_late"):
        StepTiming("start", "P1D", if_late="maybe")
    with pytest.raises(ValueError, match="local_time"):
        StepTiming("start", "P1D", local_time="09:00")
    with pytest.raises(ValueError, match="time zone"):
        due(StepTiming("start", "P1D"), datetime(2026, 6, 1, 9))
    with pytest.raises(ValueError, match="ends before it starts"):
        due(StepTiming("start", "P1D"), local(NY, 2026, 6, 1, 9), local(NY, 2026, 6, 1, 8))
    with pytest.raises(ValueError, match="time zone"):
        plan(
            [],
            starts_at=local(NY, 2026, 6, 1, 9),
            ends_at=local(NY, 2026, 6, 1, 10),
            tz=NY,
            window=None,
            now=datetime(2026, 6, 1),
        )


# --- late joiners --------------------------------------------------------------------------------

START, END = local(NY, 2026, 6, 10, 9), local(NY, 2026, 6, 10, 17)
SEQUENCE = [
    ("poll", StepTiming("start", "-P7D", if_late="send")),
    ("testimonial", StepTiming("start", "-P3D")),
    ("discussion", StepTiming("start", "-P1D", if_late="send")),
    ("live", StepTiming("start", "PT0S")),
    ("practice", StepTiming("end", "P1D", time(9), if_late="send")),
]


def plan_at(now, steps=SEQUENCE, window=DEFAULT_WINDOW, starts_at=START):
    """plan() for the standard session, keyed by step name."""
    ends_at = starts_at + (END - START)
    planned = plan(steps, starts_at=starts_at, ends_at=ends_at, tz=NY, window=window, now=now)
    return {p.key: p for p in planned}


def test_early_joiner_gets_everything_on_time():
    result = plan_at(local(NY, 2026, 6, 1, 12))
    assert all(p.status == "scheduled" and p.reason is None for p in result.values())
    assert result["poll"].due_at == local(NY, 2026, 6, 3, 9)


def test_only_the_most_recent_sendable_late_step_goes_now():
    now = local(NY, 2026, 6, 9, 12)  # poll, testimonial and discussion are all past
    result = plan_at(now)
    assert result["discussion"] == PlannedDelivery("discussion", now, "scheduled", "late")
    assert result["poll"].status == result["testimonial"].status == "skipped"
    assert result["poll"].reason == "late"
    assert result["live"] == PlannedDelivery("live", START, "scheduled", None)
    assert sum(p.due_at == now for p in result.values()) == 1


def test_late_skip_steps_never_hide_an_older_send_step():
    now = local(NY, 2026, 6, 8, 12)  # poll (send) and testimonial (skip) are past
    result = plan_at(now)
    assert (result["poll"].status, result["poll"].due_at) == ("scheduled", now)
    assert result["testimonial"].status == "skipped"


def test_no_late_step_is_sent_when_none_allows_it():
    steps = [(k, StepTiming(t.anchor, t.offset, t.local_time)) for k, t in SEQUENCE]
    result = plan_at(local(NY, 2026, 6, 10, 12), steps)
    assert [p.status for p in result.values()] == ["skipped"] * 4 + ["scheduled"]
    assert result["practice"].due_at == local(NY, 2026, 6, 11, 9)


def test_late_step_waits_for_the_window_when_now_is_outside_it():
    evening = plan_at(local(NY, 2026, 6, 9, 22, 15))
    assert evening["discussion"].due_at == local(NY, 2026, 6, 10, 8)
    early = plan_at(local(NY, 2026, 6, 9, 6))
    assert early["poll"].due_at == local(NY, 2026, 6, 9, 8) and early["poll"].status == "scheduled"
    assert plan_at(local(NY, 2026, 6, 9, 22, 15), window=None)["discussion"].due_at == local(NY, 2026, 6, 9, 22, 15)


def test_step_due_exactly_now_is_on_time_not_late():
    result = plan_at(START)
    assert result["live"] == PlannedDelivery("live", START, "scheduled", None)
    assert result["discussion"].reason == "late"


def test_late_joiner_after_everything_gets_only_the_last_sendable():
    now = local(NY, 2026, 7, 1, 12)
    result = plan_at(now)
    assert [k for k, p in result.items() if p.status == "scheduled"] == ["practice"]
    assert result["practice"].due_at == now


def test_moving_the_session_reschedules_with_the_same_rule():
    now = local(NY, 2026, 6, 9, 12)
    moved = plan_at(now, starts_at=START + timedelta(days=7))
    assert all(p.status == "scheduled" and p.reason is None for p in moved.values())
    assert moved["poll"].due_at == START


def test_plan_for_zones_matches_plan_per_zone():
    now = local(NY, 2026, 6, 9, 12)
    by_zone = plan_for_zones(
        SEQUENCE, starts_at=START, ends_at=END, zones=[NY, LONDON, NY], window=DEFAULT_WINDOW, now=now
    )
    assert list(by_zone) == [NY, LONDON]
    for tz, planned in by_zone.items():
        assert planned == plan(SEQUENCE, starts_at=START, ends_at=END, tz=tz, window=DEFAULT_WINDOW, now=now)


def test_due_at_speed():
    # Measured here: 100,000 fresh due_at computations ≈ 0.8 s (≈8 µs each); memoised ≈ 0.06 s;
    # plan() for 10,000 learners × 10 steps sharing a zone ≈ 0.14 s. The bound only catches blow-ups;
    # this thread's CPU, not the wall clock: on a loaded machine the wall clock counts others' work too.
    fresh = due_at.__wrapped__
    steps = [StepTiming("start", f"-P{d}DT{h}H", time(9) if d % 2 else None) for d in range(10) for h in range(10)]
    began = clock.thread_time()
    for i in range(1000):
        starts_at = datetime(2026, 1 + i % 12, 1 + i % 28, i % 24, tzinfo=UTC)
        for timing in steps:
            fresh(timing, starts_at=starts_at, ends_at=starts_at, tz=NY, window=DEFAULT_WINDOW)
    elapsed = clock.thread_time() - began
    print(f"100,000 due_at computations: {elapsed:.2f} s of CPU")
    assert elapsed < 10


# --- properties ----------------------------------------------------------------------------------


def occurrences(wall, tz):
    """Every instant whose local wall time in tz is `wall`, found by trying the zone's nearby offsets."""
    as_utc = wall.replace(tzinfo=UTC)
    offsets = {(as_utc + timedelta(hours=h)).astimezone(tz).utcoffset() for h in range(-30, 31, 3)}
    found = (as_utc - o for o in offsets)
    return sorted(u for u in found if u.astimezone(tz).replace(tzinfo=None) == wall)


def reference_instant(wall, tz):
    """First occurrence of a wall time, or the first wall minute after a gap (brute force)."""
    while not (found := occurrences(wall, tz)):
        wall = (wall + timedelta(minutes=1)).replace(second=0, microsecond=0)
    return found[0]


def reference_due(timing, starts_at, ends_at, tz):
    """Anchor + offset (+ local time), without a window, computed independently of the module."""
    anchor = starts_at if timing.anchor == "start" else ends_at
    offset = parse_offset(timing.offset)
    sign = -1 if offset.negative else 1
    moment = anchor.astimezone(UTC)  # UTC, so that adding seconds below is elapsed time, not wall clock
    if offset.days:
        wall = anchor.astimezone(tz).replace(tzinfo=None) + timedelta(days=sign * offset.days)
        moment = reference_instant(wall, tz)
    moment = moment + timedelta(seconds=sign * offset.seconds)
    if timing.local_time is not None:
        moment = reference_instant(datetime.combine(moment.astimezone(tz).date(), timing.local_time), tz)
    return moment


def is_clock_change(moment, tz):
    """Whether the zone's offset changes exactly at this instant."""
    return (moment - timedelta(seconds=1)).astimezone(tz).utcoffset() != moment.astimezone(tz).utcoffset()


zones = st.sampled_from(ZONES)
change_instants = [local(tz, d.year, d.month, d.day, 2).astimezone(UTC) for tz, d in TRANSITIONS]
anchors = st.one_of(
    st.datetimes(datetime(2024, 1, 1), datetime(2030, 12, 31), timezones=zones, allow_imaginary=False),
    st.builds(
        lambda at, minutes: at + timedelta(minutes=minutes),
        st.sampled_from(change_instants),
        st.integers(-15 * 1440, 15 * 1440),
    ),
)
wall_times = st.one_of(st.builds(time, st.integers(0, 23), st.sampled_from([0, 10, 15, 30, 45, 59])), st.times())
offsets = st.builds(
    lambda negative, days, seconds: str(Offset(negative, days, seconds)),
    st.booleans(),
    st.one_of(st.integers(0, 14), st.integers(0, 120)),
    st.one_of(st.just(0), st.sampled_from([900, 3600, 5400, 86400]), st.integers(0, 2 * 86400)),
)
timings = st.builds(
    StepTiming, st.sampled_from(["start", "end"]), offsets, st.none() | wall_times, st.sampled_from(["skip", "send"])
)
windows = st.tuples(wall_times, wall_times).filter(lambda w: w[0] < w[1]).map(lambda w: SendWindow(*w))
lengths = st.integers(0, 3 * 1440).map(lambda m: timedelta(minutes=m))


def check_due(timing, starts_at, ends_at, tz, window):
    """The due-time properties: matches the reference without a window, never earlier, inside it."""
    reference = reference_due(timing, starts_at, ends_at, tz)
    unwindowed = due_at(timing, starts_at=starts_at, ends_at=ends_at, tz=tz, window=None)
    assert unwindowed == reference
    got = due_at(timing, starts_at=starts_at, ends_at=ends_at, tz=tz, window=window)
    assert got.tzinfo is UTC and got >= reference
    if window is None or starts_at <= reference < ends_at:  # the window never holds a step during the session
        assert got == reference
        return
    local_time = got.astimezone(tz).time()
    assert window.start <= local_time < window.end
    assert got - reference < timedelta(days=3)
    if window.contains(reference.astimezone(tz).time()):
        assert got == reference
    else:  # it moved to an opening: the window's start, or the first instant after a gap
        assert local_time == window.start or is_clock_change(got, tz)


@settings(deadline=None, max_examples=300)
@given(timings, anchors, lengths, zones, st.none() | windows)
def test_due_time_is_never_before_the_reference_and_always_inside_the_window(timing, starts_at, length, tz, window):
    check_due(timing, starts_at, starts_at.astimezone(UTC) + length, tz, window)


ALL_CHANGES = TRANSITIONS + [
    (ZoneInfo("America/St_Johns"), date(2026, 3, 8)),
    (ZoneInfo("America/St_Johns"), date(2026, 11, 1)),
]
night_times = st.builds(time, st.integers(0, 3), st.integers(0, 59), st.sampled_from([0, 0, 30, 59]))
night_windows = (
    st.tuples(night_times, night_times | wall_times).filter(lambda w: w[0] < w[1]).map(lambda w: SendWindow(*w))
)


@st.composite
def around_a_change(draw):
    """A step whose anchor + offset, local time or window opening falls on a clock-change night."""
    tz, change = draw(st.sampled_from(ALL_CHANGES))
    days = draw(st.just(0) | st.integers(-7, 7))  # often the change night itself
    wall = datetime.combine(change + timedelta(days=days), draw(night_times | wall_times))
    starts_at = wall.replace(tzinfo=tz, fold=draw(st.sampled_from([0, 1])))
    seconds = draw(st.sampled_from([0, 0, 900, 1800, 3600, 5400]))
    offset = str(Offset(days > 0, abs(days), seconds))  # lands on the change day, give or take the hours
    timing = StepTiming("start", offset, draw(st.none() | night_times), "skip")
    return timing, starts_at, tz, draw(st.none() | night_windows | windows)


@settings(deadline=None, max_examples=400)
@given(around_a_change())
@example((StepTiming("start", "PT0S"), local(NY, 2026, 11, 1, 1, 30, fold=0), NY, None))
@example((StepTiming("start", "PT0S"), local(NY, 2026, 11, 1, 1, 30, fold=1), NY, None))
@example((StepTiming("start", "PT0S"), local(NY, 2026, 3, 8, 2, 30, fold=0), NY, None))
@example((StepTiming("start", "PT0S"), local(NY, 2026, 3, 8, 2, 30, fold=1), NY, None))
def test_due_time_properties_on_clock_change_nights(case):
    timing, starts_at, tz, window = case
    check_due(timing, starts_at, starts_at.astimezone(UTC) + timedelta(hours=2), tz, window)


@settings(deadline=None, max_examples=200)
@given(
    st.lists(timings, min_size=1, max_size=8),
    anchors,
    lengths,
    zones,
    st.none() | windows,
    st.integers(-20 * 1440, 20 * 1440),
)
def test_plan_sends_at_most_one_late_step_and_nothing_before_now(timings_, starts_at, length, tz, window, minutes):
    # In UTC, because adding to a local datetime is wall-clock arithmetic that drops the fold.
    ends_at, now = starts_at.astimezone(UTC) + length, starts_at.astimezone(UTC) + timedelta(minutes=minutes)
    steps = list(enumerate(timings_))
    planned = plan(steps, starts_at=starts_at, ends_at=ends_at, tz=tz, window=window, now=now)
    dues = [due_at(t, starts_at=starts_at, ends_at=ends_at, tz=tz, window=window) for t in timings_]
    assert [p.key for p in planned] == list(range(len(steps)))
    assert all(p.due_at >= now for p in planned if p.status == "scheduled")
    late_sent = [p for p in planned if p.status == "scheduled" and dues[p.key] < now]
    assert len(late_sent) <= 1
    sendable = [i for i, t in enumerate(timings_) if dues[i] < now and t.if_late == "send"]
    assert len(late_sent) == (1 if sendable else 0)
    if late_sent:
        assert dues[late_sent[0].key] == max(dues[i] for i in sendable)
        assert late_sent[0].reason == "late"
        during = starts_at <= now < ends_at
        assert window is None or during or window.contains(late_sent[0].due_at.astimezone(tz).time())
    for p in planned:
        if dues[p.key] >= now:
            assert (p.status, p.due_at, p.reason) == ("scheduled", dues[p.key], None)
        elif p not in late_sent:
            assert (p.status, p.reason) == ("skipped", "late")


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (local(NY, 2026, 11, 1, 1, 30, fold=0), local(NY, 2026, 11, 1, 1, 30, fold=1)),  # EDT, then EST
        (local(NY, 2026, 11, 1, 1, 30, fold=1), local(NY, 2026, 11, 1, 1, 30, fold=0)),
        (local(NY, 2026, 3, 8, 2, 30, fold=0), local(NY, 2026, 3, 8, 2, 30, fold=1)),  # 03:30 EDT / 01:30 EST
    ],
)
@pytest.mark.parametrize(
    "timing", [StepTiming("start", "PT0S"), StepTiming("start", "PT15M"), StepTiming("start", "-PT1H")]
)
@pytest.mark.parametrize("window", [None, SendWindow(time(0, 30), time(3, 30))])
def test_memo_tells_apart_local_times_that_differ_only_in_fold(first, second, timing, window):
    # The failing case that hypothesis found once: 01:30 EDT and 01:30 EST compare and hash equal in
    # one zone, so due_at's cache, keyed on local times, answered the second with the first's due
    # time, an hour out. Order matters (whichever was cached first won), so both orders are here.
    ends_at = max(first.astimezone(UTC), second.astimezone(UTC)) + timedelta(hours=2)
    due_at.cache_clear()
    results = [due_at(timing, starts_at=s, ends_at=ends_at, tz=NY, window=window) for s in (first, second)]
    fresh = [due_at.__wrapped__(timing, starts_at=s, ends_at=ends_at, tz=NY, window=window) for s in (first, second)]
    assert results == fresh
    assert results[0] != results[1]


SYDNEY, KOLKATA = ZoneInfo("Australia/Sydney"), ZoneInfo("Asia/Kolkata")
NY_SESSION = dict(starts_at=local(NY, 2026, 5, 12, 9), ends_at=local(NY, 2026, 5, 12, 12))


@pytest.mark.parametrize("tz", [SYDNEY, KOLKATA])
def test_send_window_never_holds_a_step_during_the_session(tz):
    # 09:00 New York is 23:00 Sydney and 18:30 Kolkata; 09:30 is in the night for Sydney.
    timing = StepTiming("start", "PT30M")
    got = due_at(timing, **NY_SESSION, tz=tz, window=DEFAULT_WINDOW)
    assert got == local(NY, 2026, 5, 12, 9, 30).astimezone(UTC)


def test_live_prompt_held_past_the_end_is_skipped_session_over():
    # 15 minutes before a 09:00 New York start is 22:45 Sydney: the window would hold it to 08:00, after the end.
    prompt = StepTiming("start", "-PT15M", until_end=True)
    [planned] = plan(
        [("live", prompt)], **NY_SESSION, tz=SYDNEY, window=SendWindow(time(8), time(22)), now=local(NY, 2026, 5, 1, 9)
    )
    assert (planned.status, planned.reason) == ("skipped", "session_over")
    [planned] = plan([("live", prompt)], **NY_SESSION, tz=NY, window=DEFAULT_WINDOW, now=local(NY, 2026, 5, 1, 9))
    assert (planned.status, planned.reason) == ("scheduled", None)


def test_late_live_prompt_goes_at_once_during_the_session_and_never_after():
    prompt = StepTiming("start", "PT0S", if_late="send", until_end=True)
    during = local(NY, 2026, 5, 12, 10)
    [planned] = plan([("live", prompt)], **NY_SESSION, tz=SYDNEY, window=DEFAULT_WINDOW, now=during)
    assert (planned.status, planned.due_at, planned.reason) == ("scheduled", during.astimezone(UTC), "late")
    [planned] = plan([("live", prompt)], **NY_SESSION, tz=SYDNEY, window=DEFAULT_WINDOW, now=local(NY, 2026, 5, 12, 13))
    assert (planned.status, planned.reason) == ("skipped", "session_over")
