"""domain/catalog.py: the vocabulary is one consistent table."""

from __future__ import annotations

from drip.domain import catalog
from drip.services.delivery import lifecycle as transitions  # the moves of the life cycle


def test_every_step_kind_awaits_a_reply_kind_that_exists():
    for kind in catalog.STEP_KINDS:
        assert kind.reply_kind is None or catalog.reply_kind(kind.reply_kind) is not None, kind


def test_the_names_are_unique_in_every_table():
    for table in (catalog.STEP_KINDS, catalog.REPLY_KINDS, catalog.CHANNELS, catalog.STATUSES):
        assert len(set(catalog.names(table))) == len(table)


def test_each_transition_moves_between_statuses_of_the_life_cycle():
    known = set(catalog.names(catalog.STATUSES))
    for transition in transitions.TRANSITIONS:
        assert set(transition.sources) <= known and set(transition.targets) <= known, transition.name


def test_a_report_never_moves_a_delivery_down_the_ranks():
    for target in transitions.REPORT.targets:
        earlier = [s for s in transitions.REPORT.sources if catalog.status(s).rank < catalog.status(target).rank]
        assert target not in earlier and "skipped" not in earlier


def test_pending_and_final_statuses():
    assert catalog.statuses_where("pending") == ("scheduled", "queued")
    assert set(catalog.statuses_where("final")) == {"delivered", "failed", "undelivered", "skipped", "unknown"}
    assert catalog.learner_reply_kinds()[-1] == "unclassified" and "live_question" not in catalog.learner_reply_kinds()


def test_skip_reasons_are_every_reason_the_catalog_names_once_each():
    named = [value for value in vars(catalog).values() if isinstance(value, catalog.Reason)]
    assert list(catalog.SKIP_REASONS) == named and len(named) == 18
    assert len({reason.text for reason in named}) == len(named)
    assert catalog.SKIP_REASONS[0] is catalog.LATE_ON_ENROL and catalog.SKIP_REASONS[-1] is catalog.NOTHING_APPROVED
