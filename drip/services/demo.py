"""The demo a new user sees after `make run`."""
from __future__ import annotations

import os
from typing import Iterator

from drip.services import accounts

DEMO_EMAIL = "demo@drip.local"


def seed() -> Iterator[str]:
    """Create the demo trainer once and say how to sign in; running again changes nothing."""
    password = os.environ.get("DRIP_DEMO_PASSWORD", "drip-demo-2026")
    trainer = accounts.find_trainer(DEMO_EMAIL)
    if trainer is None:
        trainer = accounts.create_trainer(DEMO_EMAIL, password, "Demo Trainer")
        trainer.contact_line = "Questions? Reply here or email demo@drip.local."
        yield "Seeded the demo trainer."
    yield f"Sign in at http://127.0.0.1:5000 as {DEMO_EMAIL} / {password}"
