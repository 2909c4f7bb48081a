"""Finding 2: erasure left personal data behind (testimonials, payloads, one-off outbox rows, user agents).

The registry test is the guard for everyone adding a table or column: a text, JSON or binary column
that is in neither personal_data.HOLDINGS nor personal_data.NOT_PERSONAL fails it, naming the fix.
"""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import JSON, LargeBinary, String, select

from drip.extensions import db
from drip import models
from drip.models import DeliveryRead, OutboxMessage, ProviderEvent, Reply, utcnow
from drip.domain import links
from drip.services.delivery import batch_facts
from drip.services.delivery.batch_facts import link_ids
from drip.services.learners import personal_data
from drip.services.replies import testimonials
from tests.support.inbound_factory import make_learner, make_session, make_step, post_sms, sent_delivery
from tests.web.test_api_support import api  # noqa: F401

PHONE, EMAIL, NAME = "+14155550101", "ada.lovelace@example.com", "Ada Lovelace"
WORDS = "I tried the SBI model with my whole team on Monday"


def _holds_text(column) -> bool:
    kind = column.type
    kind = getattr(kind, "impl_instance", None) or getattr(kind, "impl", kind)
    return isinstance(kind, (String, JSON, LargeBinary)) or isinstance(column.type, (String, JSON, LargeBinary))


def test_every_column_that_can_hold_text_is_listed_in_the_personal_data_registry(app):
    listed = personal_data.listed()
    missing = [
        f"{table.name}.{column.name}"
        for table in db.metadata.sorted_tables
        for column in table.columns
        if _holds_text(column) and column.name not in listed.get(table.name, set())
    ]
    assert not missing, (
        f"{', '.join(missing)} can hold text but drip/services/learners/personal_data.py does not list it. "
        "If it can hold a learner's phone, email, name, words, pictures or device: add it to its table's "
        "Holding in HOLDINGS with the value erasure sets it to (a new table needs a Holding whose `rows` "
        "finds one learner's rows); the export and the erasure then cover it. "
        "Otherwise add it to NOT_PERSONAL[table] (a comment says why)."
    )


def test_every_table_naming_a_learner_is_in_the_registry(app):
    held = {holding.model.__tablename__ for holding in personal_data.HOLDINGS}
    missing = [
        table.name
        for table in db.metadata.sorted_tables
        if any(fk.column.table.name == "learners" for column in table.columns for fk in column.foreign_keys)
        and table.name not in held
    ]
    assert not missing, (
        f"{', '.join(missing)} point at learners but drip/services/learners/personal_data.py has no Holding for "
        "them: add Holding(Model, lambda s: Model.learner_id == s.id, {personal column: erased value}) to "
        "HOLDINGS, so a learner's export includes their rows and erasure reaches them."
    )


def test_the_registry_names_only_columns_that_exist(app):
    tables = {table.name: {column.name for column in table.columns} for table in db.metadata.sorted_tables}
    stale = [
        f"{table}.{column}"
        for table, columns in personal_data.listed().items()
        for column in columns
        if column not in tables.get(table, set())
    ]
    assert not stale, f"personal_data lists columns that no longer exist: {stale}"


def _everything_stored() -> str:
    """Every value of every row of every table, as one folded text to search."""
    parts = []
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            for row in connection.execute(select(table)):
                parts.append(json.dumps([str(value) for value in row], ensure_ascii=False))
    return "\n".join(parts).casefold()


def _ada_with_history(app, client, trainer):
    """Ada: practised, agreed to a testimonial, texted HELP, clicked a link, had her emails' events stored."""
    trainer.contact_line = "Questions? Write to Tess."
    earlier = make_session(trainer, starts_at=utcnow() - timedelta(days=3), title="Spring cohort")
    ada = make_learner(trainer, NAME, phone=PHONE, email=EMAIL)
    practice = make_step(trainer, "practice", body="How did it go? https://trainer.example/guide")
    delivery = sent_delivery(earlier, ada, practice)
    post_sms(client, app, WORDS)
    reply = db.session.scalar(select(Reply).where(Reply.learner_id == ada.id))
    assert reply is not None and reply.kind == "practice_report"
    testimonials.ask(trainer, reply)
    post_sms(client, app, "Yes")
    post_sms(client, app, "HELP")
    link = link_ids({"https://trainer.example/guide"})["https://trainer.example/guide"]
    token = links.token(str(app.config["SECRET_KEY"]), delivery.id, link)
    client.get(f"/l/{token}", headers={"User-Agent": "Mozilla/5.0 (Ada's phone; Pixel 7)"})
    db.session.add(
        ProviderEvent(
            provider="sendgrid",
            event_id="ev-1",
            delivery_id=delivery.id,
            event="open",
            payload={"email": EMAIL, "event": "open", "useragent": "Ada's Mail", "ip": "203.0.113.9"},
            applied_at=utcnow(),
        )
    )
    delivery.error_message = f"The 'To' number {PHONE} is unreachable"
    db.session.add(
        models.MediaItem(
            trainer_id=trainer.id, token="ada-picture", source="learner", learner_id=ada.id, data=b"Ada's whiteboard"
        )
    )
    db.session.commit()
    return ada, delivery


def test_after_erasure_no_table_holds_her_phone_email_name_or_words_and_no_one_is_quoted(app, client, api):  # noqa: F811
    ada, _ = _ada_with_history(app, client, api.trainer)
    [quote] = db.session.scalars(select(models.Testimonial)).all()
    assert quote.status == "consented"
    assert db.session.scalar(select(DeliveryRead.user_agent)).startswith("Mozilla")
    assert [quote.text for quote in batch_facts._quotes({api.trainer.id})] == [WORDS]
    stored = _everything_stored()
    assert all(needle.casefold() in stored for needle in (PHONE, EMAIL, NAME, WORDS))

    assert api._call("DELETE", f"/learners/{ada.id}").status_code == 200

    stored = _everything_stored()
    for needle in (PHONE, PHONE.lstrip("+"), EMAIL, NAME, WORDS, "Ada's phone", "Ada's Mail", "203.0.113.9", "ada-pic"):
        assert needle.casefold() not in stored, f"{needle!r} survived the erasure"
    # Withdrawn: the quotes a send batch may pick from no longer hold hers.
    assert batch_facts._quotes({api.trainer.id}) == [] and testimonials.pool(api.trainer) == []
    assert db.session.scalar(select(models.Testimonial.status)) == "withdrawn"


def test_erasure_scrubs_her_words_quoted_in_other_learners_messages(app, client, api):  # noqa: F811
    ada, _ = _ada_with_history(app, client, api.trainer)
    bob = make_learner(api.trainer, "Bob Builder", phone="+14155550102")
    db.session.add(
        OutboxMessage(
            trainer_id=api.trainer.id,
            channel="sms",
            to_address=bob.phone,
            body=f"From your peers: {WORDS} (Ada)",
            provider_message_id="OBquoted",
        )
    )
    db.session.commit()
    api._call("DELETE", f"/learners/{ada.id}")
    db.session.expire_all()
    kept = db.session.scalar(select(OutboxMessage).where(OutboxMessage.provider_message_id == "OBquoted"))
    assert kept.to_address == bob.phone and kept.body == "From your peers: [erased] (Ada)"


def test_the_export_holds_testimonials_clicks_one_offs_and_stored_payloads(app, client, api):  # noqa: F811
    ada, delivery = _ada_with_history(app, client, api.trainer)
    data = api.get(f"/learners/{ada.id}/export").get_json()
    records = data["records"]
    assert {table for table, rows in records.items() if rows} >= {
        "learners",
        "testimonials",
        "delivery_reads",
        "outbox_messages",
        "inbound_receipts",
        "provider_events",
        "inbound_messages",
        "replies",
    }
    assert records["testimonials"][0]["quote"] == WORDS and records["delivery_reads"][0]["kind"] == "click"
    assert any("May I share your words" in row["body"] for row in records["outbox_messages"])
    # Every table the registry names is in the export, with every column of its rows.
    assert set(records) == {h.model.__tablename__ for h in personal_data.HOLDINGS}
