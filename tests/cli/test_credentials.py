"""The credentials file: owner-only, keyed by normalized URL, overridden by BATCHFLOW_TOKEN."""

import json
import os
import re
import stat

import pytest

from batchflow_cli.credentials import (
    Credential,
    CredentialsError,
    credential_for,
    credentials_file,
    forget_token,
    normalize_url,
    store_token,
)


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_file_is_0600_in_a_0700_folder_under_xdg_config_home(config_home) -> None:
    previous = os.umask(0)  # the most permissive umask must not widen either
    try:
        path = store_token("http://127.0.0.1:8000", "t1")
    finally:
        os.umask(previous)

    assert path == config_home / "batchflow" / "credentials.json" == credentials_file()
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700
    assert json.loads(path.read_text()) == {"tokens": {"http://127.0.0.1:8000": "t1"}}
    assert os.listdir(path.parent) == ["credentials.json"], "no temporary file is left behind"


def test_an_existing_folder_is_narrowed_to_0700(config_home) -> None:
    (config_home / "batchflow").mkdir(mode=0o755)

    path = store_token("http://127.0.0.1:8000", "t1")

    assert mode(path.parent) == 0o700


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("http://127.0.0.1:8000/", "http://127.0.0.1:8000"),
        ("HTTP://LocalHost:8000//", "http://localhost:8000"),
        ("https://batchflow.example.org", "https://batchflow.example.org:443"),
        ("http://batchflow.example.org/", "http://batchflow.example.org:80"),
        ("https://example.org/batchflow/", "https://example.org:443/batchflow"),
        ("http://[::1]:8000", "http://[::1]:8000"),
    ],
)
def test_a_service_is_keyed_by_scheme_host_and_port(url, key) -> None:
    assert normalize_url(url) == key


@pytest.mark.parametrize("url", ["127.0.0.1:8000", "ftp://host", "http://", "http://h:99999"])
def test_a_url_that_is_no_http_url_with_a_host_is_refused(url) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(url))):
        normalize_url(url)


def test_the_same_service_spelled_two_ways_finds_its_token() -> None:
    store_token("https://batchflow.example.org/", "t1")

    assert credential_for("https://BATCHFLOW.example.org:443") == Credential(
        "t1", str(credentials_file())
    )
    assert credential_for("http://batchflow.example.org") is None


def test_batchflow_token_wins_over_the_stored_token(monkeypatch) -> None:
    store_token("http://127.0.0.1:8000", "stored")
    monkeypatch.setenv("BATCHFLOW_TOKEN", "from-environment\n")

    assert credential_for("http://127.0.0.1:8000") == Credential(
        "from-environment", "BATCHFLOW_TOKEN"
    )
    assert credential_for("http://elsewhere:1") == Credential("from-environment", "BATCHFLOW_TOKEN")


def test_without_a_file_or_variable_there_is_no_token() -> None:
    assert credential_for("http://127.0.0.1:8000") is None


def test_a_file_others_may_read_is_refused_until_rewritten() -> None:
    path = store_token("http://127.0.0.1:8000", "t1")
    path.chmod(0o644)

    with pytest.raises(CredentialsError, match=r"mode 0644 lets others read it.*chmod 600"):
        credential_for("http://127.0.0.1:8000")
    store_token("http://127.0.0.1:9000", "t2")

    assert mode(path) == 0o600
    assert credential_for("http://127.0.0.1:8000") == Credential("t1", str(path))


def test_a_file_that_is_not_json_says_to_log_in_again() -> None:
    path = store_token("http://127.0.0.1:8000", "t1")
    path.write_text("{not json")

    with pytest.raises(CredentialsError, match=r"is not JSON.*batchflow login"):
        credential_for("http://127.0.0.1:8000")


def test_forgetting_removes_only_that_services_token() -> None:
    path = store_token("http://127.0.0.1:8000", "t1")
    store_token("http://127.0.0.1:9000", "t2")

    assert forget_token("http://127.0.0.1:8000/") == path
    assert forget_token("http://127.0.0.1:8000") is None
    assert json.loads(path.read_text()) == {"tokens": {"http://127.0.0.1:9000": "t2"}}
    assert mode(path) == 0o600
