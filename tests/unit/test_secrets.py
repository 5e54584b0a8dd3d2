"""Secrets: the embedded default and the tests make their own, keep them in the data dir (mode 0600) and reuse them;
a value in the environment wins; production refuses weak and malformed ones, naming the setting, never the value."""

from __future__ import annotations

import stat
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from config import ConfigurationError, load_config
from config.secret_files import GENERATED, kept_secret, keys_folder
from config.secret_strength import new_fernet_key, new_signing_secret
from config.settings import SECRET_NAMES, ProductionConfig

OLD_CONSTANT = "development-only-secret-not-for-production"


def production(**secrets: str) -> ProductionConfig:
    """A production configuration complete but for the secrets given (strong ones for the rest)."""
    settings: dict[str, object] = {
        "SECRET_KEY": new_signing_secret(), "AUDIT_KEY": new_signing_secret(), "ID_ENCRYPTION_KEY": new_fernet_key(),
        "DATABASE_URL": "postgresql+psycopg://u@127.0.0.1:1/db", "BROKER_URL": "redis://127.0.0.1:1/0",
        "SMTP_HOST": "smtp", "BASE_URL": "https://henvisning.kommune.example",
    }
    settings.update(secrets)
    return ProductionConfig(settings)


@pytest.fixture(autouse=True)
def no_secrets_in_the_environment(monkeypatch):
    for name in SECRET_NAMES:
        monkeypatch.delenv(f"REFERRAL_{name}", raising=False)


@pytest.mark.parametrize("env", ["development", "test"])
def test_a_fresh_data_dir_gets_its_own_secrets_in_files_only_the_owner_can_read(env, tmp_path):
    config = load_config(env, DATA_DIR=str(tmp_path))

    for name in SECRET_NAMES:
        path = keys_folder(tmp_path) / name
        assert path.read_text().strip() == getattr(config, name)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert config.secret_sources[name] == str(path)
    assert stat.S_IMODE(keys_folder(tmp_path).stat().st_mode) == 0o700
    assert len(config.SECRET_KEY) >= 32 and len(config.AUDIT_KEY) >= 32


def test_two_data_dirs_have_different_secrets(tmp_path):
    first = load_config("development", DATA_DIR=str(tmp_path / "one"))
    second = load_config("development", DATA_DIR=str(tmp_path / "two"))

    for name in SECRET_NAMES:
        assert getattr(first, name) != getattr(second, name)


def test_a_later_start_on_the_same_data_dir_reuses_its_secrets(tmp_path):
    first = load_config("development", DATA_DIR=str(tmp_path))
    again = load_config("development", DATA_DIR=str(tmp_path))

    assert [getattr(again, name) for name in SECRET_NAMES] == [getattr(first, name) for name in SECRET_NAMES]


def test_no_secret_is_a_constant_in_the_settings_classes(tmp_path):
    from config.settings import BaseConfig, DevelopmentConfig, TestConfig

    for cls in (BaseConfig, DevelopmentConfig, TestConfig, ProductionConfig):
        assert [getattr(cls, name) for name in SECRET_NAMES] == ["", "", ""]
    config = load_config("development", DATA_DIR=str(tmp_path))
    assert config.SECRET_KEY != OLD_CONSTANT


def test_a_secret_file_others_could_read_is_made_private_again_and_still_used(tmp_path):
    first = load_config("development", DATA_DIR=str(tmp_path))
    path = keys_folder(tmp_path) / "SECRET_KEY"
    path.chmod(0o644)

    again = load_config("development", DATA_DIR=str(tmp_path))

    assert again.SECRET_KEY == first.SECRET_KEY
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_value_in_the_environment_wins_over_the_file(tmp_path, monkeypatch):
    load_config("development", DATA_DIR=str(tmp_path))
    chosen = new_signing_secret()
    monkeypatch.setenv("REFERRAL_SECRET_KEY", chosen)

    config = load_config("development", DATA_DIR=str(tmp_path))

    assert config.SECRET_KEY == chosen
    assert config.secret_sources["SECRET_KEY"] == "environment"
    assert (keys_folder(tmp_path) / "SECRET_KEY").read_text().strip() != chosen


def _make_in(folder: str) -> str:
    return kept_secret(Path(folder), "SECRET_KEY", GENERATED["SECRET_KEY"])


def test_processes_starting_at_once_on_one_data_dir_agree_on_the_secret(tmp_path):
    folder = str(keys_folder(tmp_path))
    with ProcessPoolExecutor(max_workers=4) as pool:
        values = set(pool.map(_make_in, [folder] * 16))

    assert len(values) == 1
    assert sorted(p.name for p in Path(folder).iterdir()) == ["SECRET_KEY"], "no temporary file is left behind"


def test_production_makes_no_secret_files_and_refuses_to_start_without_its_secrets(tmp_path):
    with pytest.raises(ConfigurationError, match="REFERRAL_SECRET_KEY, REFERRAL_ID_ENCRYPTION_KEY, REFERRAL_AUDIT_KEY"):
        load_config("production", DATA_DIR=str(tmp_path))
    assert not keys_folder(tmp_path).exists()


@pytest.mark.parametrize("name", ["SECRET_KEY", "AUDIT_KEY"])
@pytest.mark.parametrize("weak", ["x", "a" * 64, "changeme" * 8, OLD_CONSTANT, "0123456789abcdef" * 2])
def test_production_refuses_a_weak_signing_secret_naming_the_setting_not_the_value(name, weak):
    with pytest.raises(ConfigurationError) as refused:
        production(**{name: weak}).validate()

    message = str(refused.value)
    assert f"REFERRAL_{name}" in message
    assert weak not in message


@pytest.mark.parametrize("malformed", ["notakey", "x", new_signing_secret(), f"{new_fernet_key()},notakey",
                                       "YWJj" * 11],
                         ids=["notakey", "x", "a-signing-secret", "a-key-then-notakey", "33-bytes"])
def test_production_refuses_an_identity_key_that_is_not_fernet_keys(malformed):
    with pytest.raises(ConfigurationError) as refused:
        production(ID_ENCRYPTION_KEY=malformed).validate()

    message = str(refused.value)
    assert "REFERRAL_ID_ENCRYPTION_KEY" in message and "Fernet" in message
    assert "notakey" not in message


def test_production_accepts_strong_secrets_and_several_identity_keys():
    production(ID_ENCRYPTION_KEY=f"{new_fernet_key()}, {new_fernet_key()}").validate()


def test_production_refuses_the_same_identity_key_twice():
    key = new_fernet_key()
    with pytest.raises(ConfigurationError, match="REFERRAL_ID_ENCRYPTION_KEY is refused: it names the same key"):
        production(ID_ENCRYPTION_KEY=f"{key},{key}").validate()


def test_production_refuses_the_access_logs_key_equal_to_the_secret_key():
    shared = new_signing_secret()
    with pytest.raises(ConfigurationError, match="REFERRAL_AUDIT_KEY equal to REFERRAL_SECRET_KEY") as refused:
        production(SECRET_KEY=shared, AUDIT_KEY=shared).validate()
    assert shared not in str(refused.value)


def test_production_refuses_to_start_without_the_public_address():
    """E-mail links and sign-in callbacks would point at 127.0.0.1 on every user's own machine."""
    with pytest.raises(ConfigurationError, match="REFERRAL_BASE_URL"):
        production(BASE_URL="").validate()


@pytest.mark.parametrize("retries", [{"EMAIL_RETRY_BASE_SECONDS": 0}, {"EMAIL_RETRY_MAX_SECONDS": 1},
                                     {"EMAIL_RETRY_WINDOW_HOURS": -1}, {"EMAIL_RETRY_JITTER": 1.5}])
def test_a_retry_schedule_that_cannot_wait_is_refused(retries):
    with pytest.raises(ConfigurationError, match="REFERRAL_EMAIL_RETRY_"):
        production(**retries).validate()
