"""Session tokens are checked once and remembered, and a remembered token still expires."""

import time
from datetime import timedelta

import pytest

from batchflow_service.auth import sessions
from batchflow_service.auth.identity import InvalidTokenError
from batchflow_service.auth.sessions import SessionTokens


def test_a_remembered_token_is_refused_once_it_expires(monkeypatch) -> None:
    tokens = SessionTokens("k" * 32, lifetime=timedelta(minutes=1))
    token = tokens.issue("ann")
    assert tokens.user_name(token) == "ann"

    later = time.time() + 61
    monkeypatch.setattr(sessions.time, "time", lambda: later)

    with pytest.raises(InvalidTokenError, match="expired"):
        tokens.user_name(token)


def test_a_token_another_key_signed_is_refused_every_time() -> None:
    ours, theirs = (
        SessionTokens("k" * 32, timedelta(hours=1)),
        SessionTokens("x" * 32, timedelta(hours=1)),
    )
    forged = theirs.issue("admin")
    assert ours.user_name(ours.issue("admin")) == "admin"

    for _ in range(2):
        with pytest.raises(InvalidTokenError, match="Signature verification failed"):
            ours.user_name(forged)
