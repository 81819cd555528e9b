"""Settings come from init() arguments, then OBSERVATORY_* variables, then defaults."""

from __future__ import annotations

import logging

import pytest

from observatory._config import Config, env_var, from_env


def test_defaults() -> None:
    config = from_env(environ={})
    assert config == Config()
    assert config.api_url == "http://127.0.0.1:8787" and config.shutdown_timeout == 2.0


def test_environment_then_overrides() -> None:
    env = {
        "OBSERVATORY_API_URL": "http://127.0.0.1:9999/",
        "OBSERVATORY_API_KEY": "k",
        "OBSERVATORY_APP_ID": "app",
        "OBSERVATORY_ENABLED": "false",
        "OBSERVATORY_BATCH_SIZE": "7",
        "OBSERVATORY_FLUSH_INTERVAL": "0.25",
        "OBSERVATORY_GZIP": "0",
    }
    config = from_env(environ=env)
    assert (config.api_url, config.api_key, config.app_id, config.enabled) == ("http://127.0.0.1:9999", "k", "app", False)
    assert (config.batch_size, config.flush_interval, config.gzip) == (7, 0.25, False)
    assert from_env({"batch_size": 9, "app_id": None}, environ=env).batch_size == 9
    assert from_env({"app_id": None}, environ=env).app_id == "app"


def test_malformed_environment_is_logged_not_raised(caplog) -> None:
    caplog.set_level(logging.WARNING, logger="observatory")
    config = from_env(environ={"OBSERVATORY_BATCH_SIZE": "lots", "OBSERVATORY_ENABLED": "maybe"})
    assert config.batch_size == 500 and config.enabled is True
    assert "OBSERVATORY_BATCH_SIZE" in caplog.text and "OBSERVATORY_ENABLED" in caplog.text


def test_unknown_option_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="unknown option 'bach_size'"):
        from_env({"bach_size": 1}, environ={})


def test_every_option_has_an_env_var() -> None:
    assert env_var("max_queue_size") == "OBSERVATORY_MAX_QUEUE_SIZE"
