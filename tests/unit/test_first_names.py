"""A name as others see it: the first word only."""

from __future__ import annotations

import pytest

from drip.domain.cohort import first_name_only


@pytest.mark.parametrize(
    "name, first",
    [("Maria López", "Maria"), ("Maria\u00a0López", "Maria"), ("Maria\tLópez", "Maria"), ("  Ana ", "Ana"), ("", "")],
)
def test_first_name_only_splits_at_any_whitespace(name, first):
    assert first_name_only(name) == first
    assert first_name_only(None) == ""
