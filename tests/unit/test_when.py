"""session.starts_in wording, in the reader's zone."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from drip.domain.when import starts_in

NY, SYDNEY = ZoneInfo("America/New_York"), ZoneInfo("Australia/Sydney")
START = datetime(2026, 5, 12, 9, 0, tzinfo=NY)


@pytest.mark.parametrize(
    ("before", "tz", "expected"),
    [
        (timedelta(days=6), NY, "in 6 days"),
        (timedelta(days=2), NY, "in 2 days"),
        (timedelta(hours=20), NY, "tomorrow at 09:00"),
        (timedelta(hours=3), NY, "today at 09:00"),
        (timedelta(minutes=20), NY, "in 20 minutes"),
        (timedelta(seconds=20), NY, "in 1 minute"),
        (timedelta(0), NY, "now"),
        (timedelta(days=21), NY, "in 3 weeks"),
        (timedelta(hours=20), SYDNEY, "today at 23:00"),  # 13:00 New York the day before is 03:00 in Sydney
    ],
)
def test_starts_in(before, tz, expected):
    assert starts_in(START, START - before, tz) == expected
