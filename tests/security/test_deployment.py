"""make run's demo login is random and instance/ is private (finding 11)."""

from __future__ import annotations

import re
import stat
from pathlib import Path

from drip import create_app


def test_the_demo_password_is_random_and_printed_each_run(app, runner, monkeypatch):
    monkeypatch.delenv("DRIP_DEMO_PASSWORD", raising=False)
    first = runner.invoke(args=["drip", "seed-demo"])
    password = re.search(r"as demo@drip\.local / (\S+)", first.output).group(1)
    assert password != "drip-demo-2026" and len(password) >= 16
    again = runner.invoke(args=["drip", "seed-demo"])
    assert f"/ {password}" in again.output
    kept = Path(app.config["INSTANCE_PATH"]) / "demo_password"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600


def test_instance_files_are_readable_by_their_owner_only(app_config, tmp_path):
    folder = tmp_path / "instance"
    folder.mkdir(mode=0o755)
    database = folder / "drip.db"
    database.write_bytes(b"")
    database.chmod(0o644)
    create_app({**app_config, "INSTANCE_PATH": str(folder)})
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
