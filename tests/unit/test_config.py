"""Configuration read from the environment."""

from __future__ import annotations

from drip import config


def test_public_base_url_follows_port(monkeypatch, tmp_path):
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    monkeypatch.setenv("DRIP_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("PORT", "5300")
    assert config.load()["PUBLIC_BASE_URL"] == "http://127.0.0.1:5300"
    monkeypatch.delenv("PORT")
    assert config.load()["PUBLIC_BASE_URL"] == "http://127.0.0.1:5000"


def test_public_base_url_set_wins_over_port(monkeypatch, tmp_path):
    monkeypatch.setenv("DRIP_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("PORT", "5300")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://drip.example.org/")
    assert config.load()["PUBLIC_BASE_URL"] == "https://drip.example.org"
