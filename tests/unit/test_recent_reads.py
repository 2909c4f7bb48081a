"""Reads handed out again while young: a change dropped while a read was under way is never hidden by it."""

from __future__ import annotations

from drip.services.cohort.recent import Recent


def test_a_read_overtaken_by_a_drop_is_handed_out_once_and_not_kept():
    recent, reads = Recent(1.0, clock=lambda: 0.0), []

    def read_while_a_change_commits():
        reads.append(1)
        if len(reads) == 1:
            recent.drop()  # an erasure committed here while the links were being read
        return len(reads)

    assert recent.get("links", read_while_a_change_commits) == 1
    assert recent.get("links", read_while_a_change_commits) == 2  # read again: the first may predate the erasure
    assert recent.get("links", read_while_a_change_commits) == 2  # and this one, untouched, is kept
