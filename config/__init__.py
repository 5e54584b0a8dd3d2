"""Settings, one class per environment, read from REFERRAL_* environment variables."""

from __future__ import annotations

import os
from pathlib import Path

from config.settings import (
    BaseConfig,
    ConfigurationError,
    DevelopmentConfig,
    ProductionConfig,
    TestConfig,
)

CONFIGS: dict[str, type[BaseConfig]] = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def load_config(env: str | None = None, **overrides: object) -> BaseConfig:
    """Build the settings for REFERRAL_ENV (or `env`), with explicit overrides on top."""
    name = (env or os.environ.get("REFERRAL_ENV") or "development").lower()
    if name not in CONFIGS:
        raise ConfigurationError(f"REFERRAL_ENV must be one of {', '.join(CONFIGS)}, not {name!r}")
    config = CONFIGS[name](overrides)
    config.keep_secrets()
    config.validate()
    return config


__all__ = ["BaseConfig", "ConfigurationError", "load_config", "Path"]
