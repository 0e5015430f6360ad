"""OidcVerifier against a real OpenID provider (oidc-provider, see oidc_provider.py), whose
tokens come from the authorization-code flow; forged tokens are built by hand."""

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from batchflow_service.app import create_app
from batchflow_service.auth.identity import Identity, InvalidTokenError
from batchflow_service.auth.oidc import OidcUnavailableError, OidcVerifier
from batchflow_service.auth.roles import Role
from batchflow_service.settings import Settings

from .oidc_provider import (
    AUDIENCE,
    CLIENT_ID,
    SHORT_LIVED_CLIENT,
    OidcProvider,
    running_oidc_provider,
    stop,
)

OTHER_AUDIENCE = "https://other.test/api"


@pytest.fixture(scope="module")
def keys_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("oidc") / "keys.json"


@pytest.fixture(scope="module")
def provider(keys_file: Path) -> Iterator[OidcProvider]:
    with running_oidc_provider(keys=keys_file) as provider:
        yield provider


@pytest.fixture
async def verifier(provider: OidcProvider) -> AsyncIterator[OidcVerifier]:
    verifier = OidcVerifier(provider.issuer, AUDIENCE)
    yield verifier
    await verifier.close()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _forge(header: dict[str, Any], claims: dict[str, Any], sign: Any = None) -> str:
    """A JWT put together by hand; `sign(signing_input) -> bytes` or no signature at all."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = sign(signing_input.encode()) if sign else b""
    return f"{signing_input}.{_b64(signature)}"


def _claims(provider: OidcProvider, **extra: Any) -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": provider.issuer,
        "aud": AUDIENCE,
        "sub": "mallory",
        "groups": ["admin"],
        "iat": now,
        "exp": now + 600,
        **extra,
    }


def _published_keys(provider: OidcProvider) -> list[dict[str, Any]]:
    return httpx.get(f"{provider.url}/jwks").raise_for_status().json()["keys"]


async def _refused(verifier: OidcVerifier, token: str, reason: str) -> None:
    with pytest.raises(InvalidTokenError, match=reason):
        await verifier.verify(token)


# -- tokens the provider issued -------------------------------------------------------------


@pytest.mark.anyio
async def test_an_access_token_names_the_user_and_the_role_from_a_list_claim(
    provider: OidcProvider, verifier: OidcVerifier
) -> None:
    token = provider.token("alice", ["maintainer"])
    assert await verifier.verify(token) == Identity("alice", Role.MAINTAINER, "oidc")


@pytest.mark.anyio
async def test_an_es256_token_with_a_string_claim_is_accepted(
    provider: OidcProvider, verifier: OidcVerifier
) -> None:
    token = provider.token("bob", "viewer", alg="ES256")
    assert jwt.get_unverified_header(token)["alg"] == "ES256"
    assert await verifier.verify(token) == Identity("bob", Role.VIEWER, "oidc")


@pytest.mark.anyio
async def test_the_most_powerful_mapped_role_wins(provider: OidcProvider) -> None:
    verifier = OidcVerifier(
        provider.issuer,
        AUDIENCE,
        role_map={"scientists": "launcher", "platform-team": "admin", "auditors": "viewer"},
    )
    token = provider.token("carol", ["scientists", "unrelated", "platform-team", "auditors"])
    try:
        assert (await verifier.verify(token)).role == Role.ADMIN
    finally:
        await verifier.close()


@pytest.mark.anyio
async def test_keycloak_realm_roles_are_found_by_a_dotted_path(provider: OidcProvider) -> None:
    verifier = OidcVerifier(
        provider.issuer,
        AUDIENCE,
        role_claim="realm_access.roles",
        username_claim="preferred_username",
    )
    token = provider.token(
        "f81d4fae-7dec-11d0-a765-00a0c91e6bf6",
        claims={
            "preferred_username": "dave",
            "realm_access": {"roles": ["offline_access", "launcher"]},
        },
    )
    try:
        assert await verifier.verify(token) == Identity("dave", Role.LAUNCHER, "oidc")
    finally:
        await verifier.close()


@pytest.mark.anyio
async def test_an_id_token_is_accepted_when_the_audience_is_the_client_id(
    provider: OidcProvider,
) -> None:
    """How Cognito is used: its ID token has aud = the app client id."""
    verifier = OidcVerifier(provider.issuer, CLIENT_ID)
    try:
        token = provider.token("erin", ["launcher"], kind="id")
        assert await verifier.verify(token) == Identity("erin", Role.LAUNCHER, "oidc")
        await _refused(verifier, provider.token("erin", ["launcher"]), "Audience")
    finally:
        await verifier.close()


@pytest.mark.anyio
async def test_a_token_for_another_audience_is_refused(
    provider: OidcProvider, verifier: OidcVerifier
) -> None:
    token = provider.token("alice", ["admin"], audience=OTHER_AUDIENCE)
    await _refused(verifier, token, "Audience")


@pytest.mark.anyio
async def test_a_token_from_another_issuer_with_the_same_keys_is_refused(
    provider: OidcProvider, verifier: OidcVerifier, keys_file: Path
) -> None:
    with running_oidc_provider(keys=keys_file) as other:
        assert other.issuer != provider.issuer
        token = other.token("alice", ["admin"])
    await _refused(verifier, token, "issuer")


@pytest.mark.anyio
async def test_an_expired_token_is_refused_after_the_leeway(provider: OidcProvider) -> None:
    token = provider.token("alice", ["admin"], client_id=SHORT_LIVED_CLIENT)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 1
    await asyncio.sleep(2.1)
    strict = OidcVerifier(provider.issuer, AUDIENCE, leeway=0)
    lenient = OidcVerifier(provider.issuer, AUDIENCE)
    try:
        await _refused(strict, token, "expired")
        assert (await lenient.verify(token)).name == "alice"
    finally:
        await strict.close()
        await lenient.close()


@pytest.mark.anyio
async def test_a_token_without_a_role_is_refused(
    provider: OidcProvider, verifier: OidcVerifier
) -> None:
    await _refused(verifier, provider.token("alice", ["staff", "users"]), "no role")
    await _refused(verifier, provider.token("alice"), "no role")


@pytest.mark.anyio
async def test_a_token_without_the_username_claim_is_refused(provider: OidcProvider) -> None:
    verifier = OidcVerifier(provider.issuer, AUDIENCE, username_claim="email")
    try:
        await _refused(verifier, provider.token("alice", ["admin"]), "'email'")
    finally:
        await verifier.close()


# -- forged tokens --------------------------------------------------------------------------


@pytest.mark.anyio
async def test_garbage_is_refused(verifier: OidcVerifier) -> None:
    for garbage in ["", "garbage", "a.b.c", "e30.e30.", "x" * 20_000]:
        await _refused(verifier, garbage, "malformed token|longer than|algorithm None")


@pytest.mark.anyio
async def test_a_tampered_payload_is_refused(
    provider: OidcProvider, verifier: OidcVerifier
) -> None:
    header, _, signature = provider.token("alice", ["viewer"]).split(".")
    promoted = _claims(provider, sub="alice", groups=["admin"])
    forged = f"{header}.{_b64(json.dumps(promoted).encode())}.{signature}"
    await _refused(verifier, forged, "Signature verification failed")


@pytest.mark.anyio
async def test_alg_none_is_refused(provider: OidcProvider, verifier: OidcVerifier) -> None:
    kid = _published_keys(provider)[0]["kid"]
    for alg in ["none", "None", "NONE"]:
        await _refused(verifier, _forge({"alg": alg, "kid": kid}, _claims(provider)), "algorithm")


@pytest.mark.anyio
async def test_hs256_signed_with_the_public_key_is_refused(
    provider: OidcProvider, verifier: OidcVerifier
) -> None:
    """The classic confusion: a verifier that lets the header pick the algorithm checks an HMAC
    made with the provider's public key, which anyone can fetch."""
    published = next(key for key in _published_keys(provider) if key["kty"] == "RSA")
    public_key = jwt.PyJWK(published).key
    for encoding in [serialization.Encoding.PEM, serialization.Encoding.DER]:
        secret = public_key.public_bytes(encoding, serialization.PublicFormat.SubjectPublicKeyInfo)
        token = _forge(
            {"alg": "HS256", "typ": "JWT", "kid": published["kid"]},
            _claims(provider),
            lambda data, secret=secret: hmac.new(secret, data, hashlib.sha256).digest(),
        )
        await _refused(verifier, token, "algorithm 'HS256'")


@pytest.mark.anyio
async def test_a_token_whose_alg_does_not_fit_its_key_is_refused(
    provider: OidcProvider, verifier: OidcVerifier
) -> None:
    rsa_kid = next(key["kid"] for key in _published_keys(provider) if key["kty"] == "RSA")
    token = _forge({"alg": "ES256", "kid": rsa_kid}, _claims(provider), lambda _: b"\0" * 64)
    await _refused(verifier, token, "the token says ES256")


@pytest.mark.anyio
async def test_a_token_signed_by_a_key_outside_the_jwks_is_refused(
    provider: OidcProvider, verifier: OidcVerifier
) -> None:
    own_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    await _refused(
        verifier,
        jwt.encode(_claims(provider), own_key, "RS256", headers={"kid": "not-published"}),
        "not in the provider's JWKS",
    )
    published_kid = next(key["kid"] for key in _published_keys(provider) if key["kty"] == "RSA")
    await _refused(
        verifier,
        jwt.encode(_claims(provider), own_key, "RS256", headers={"kid": published_kid}),
        "Signature verification failed",
    )


# -- keys: caching, rotation, an unreachable provider --------------------------------------


@pytest.mark.anyio
async def test_keys_are_fetched_once_and_a_rotated_key_is_picked_up(tmp_path: Path) -> None:
    with running_oidc_provider(keys=tmp_path / "keys.json") as provider:
        verifier = OidcVerifier(provider.issuer, AUDIENCE)
        try:
            tokens = [provider.token(name, ["viewer"]) for name in ["alice", "bob", "carol"]]
            identities = await asyncio.gather(*(verifier.verify(token) for token in tokens))
            assert [identity.name for identity in identities] == ["alice", "bob", "carol"]
            await verifier.verify(tokens[0])
            assert provider.jwks_requests() == 1, "concurrent and later tokens share one fetch"

            old_kid = jwt.get_unverified_header(provider.token("alice", ["viewer"]))["kid"]
            provider.rotate_keys()
            token = provider.token("alice", ["maintainer"])
            assert jwt.get_unverified_header(token)["kid"] != old_kid
            assert await verifier.verify(token) == Identity("alice", Role.MAINTAINER, "oidc")
            assert provider.jwks_requests() == 2

            own_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            for attempt in range(5):
                forged = jwt.encode(
                    _claims(provider), own_key, "RS256", headers={"kid": f"made-up-{attempt}"}
                )
                await _refused(verifier, forged, "not in the provider's JWKS")
            assert provider.jwks_requests() == 2, "unknown kids must not hammer the provider"
        finally:
            await verifier.close()


@pytest.mark.anyio
async def test_a_provider_that_cannot_be_reached_is_unavailable_not_invalid(
    provider: OidcProvider,
) -> None:
    token = provider.token("alice", ["admin"])
    with running_oidc_provider() as gone:
        issuer = gone.issuer
        stop(gone.process)
    verifier = OidcVerifier(issuer, AUDIENCE, http_timeout=2)
    try:
        with pytest.raises(OidcUnavailableError, match="openid-configuration"):
            await verifier.verify(token)
    finally:
        await verifier.close()


@pytest.mark.anyio
async def test_a_discovery_document_naming_another_issuer_is_unavailable() -> None:
    with running_oidc_provider(issuer="https://idp.example.com") as provider:
        verifier = OidcVerifier(provider.url, AUDIENCE)
        own_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        token = jwt.encode({}, own_key, "RS256", headers={"kid": "x"})
        try:
            with pytest.raises(
                OidcUnavailableError, match=r"names issuer 'https://idp\.example\.com'"
            ):
                await verifier.verify(token)
        finally:
            await verifier.close()


# -- configuration --------------------------------------------------------------------------


def test_settings_without_issuer_or_audience_are_refused() -> None:
    with pytest.raises(ValueError, match="BATCHFLOW_OIDC_ISSUER"):
        OidcVerifier.from_settings(Settings(auth="oidc", oidc_audience=AUDIENCE))
    with pytest.raises(ValueError, match="BATCHFLOW_OIDC_AUDIENCE"):
        OidcVerifier.from_settings(Settings(auth="oidc", oidc_issuer="https://idp.example.com"))


def test_a_role_map_naming_an_unknown_role_is_refused() -> None:
    with pytest.raises(ValueError, match="'superuser'"):
        OidcVerifier("https://idp.example.com", AUDIENCE, role_map={"ops": "superuser"})


# -- the app, once BATCHFLOW_AUTH=oidc is wired (create_app builds the verifier) ----------


@pytest.fixture
def app_client(provider: OidcProvider) -> Iterator[TestClient]:
    settings = Settings(
        auth="oidc", engines=["mock"], oidc_issuer=provider.issuer, oidc_audience=AUDIENCE
    )
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        yield client


def test_app_users_me_answers_the_provider_user(
    provider: OidcProvider, app_client: TestClient
) -> None:
    token = provider.token("alice", ["maintainer"])
    response = app_client.get("/users/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    assert response.json() == {"name": "alice", "role": "maintainer", "via": "oidc"}


def test_app_without_a_token_is_401_with_a_bearer_challenge(app_client: TestClient) -> None:
    response = app_client.get("/users/me")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_app_refuses_a_token_for_another_audience(
    provider: OidcProvider, app_client: TestClient
) -> None:
    token = provider.token("alice", ["maintainer"], audience=OTHER_AUDIENCE)
    response = app_client.get("/users/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_app_answers_503_when_the_provider_cannot_be_reached(provider: OidcProvider) -> None:
    token = provider.token("alice", ["maintainer"])
    with running_oidc_provider() as gone:
        issuer = gone.issuer
        stop(gone.process)
    settings = Settings(auth="oidc", engines=["mock"], oidc_issuer=issuer, oidc_audience=AUDIENCE)
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        response = client.get("/users/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 503


@pytest.mark.parametrize(
    ("url", "trusted"),
    [
        ("https://idp.example.com/jwks", True),
        ("http://127.0.0.1:9000/jwks", True),
        ("http://localhost:9000/jwks", True),
        ("http://[::1]:9000/jwks", True),
        ("http://idp.example.com/jwks", False),
        ("http://10.0.0.5/jwks", False),
        ("ftp://idp.example.com/jwks", False),
        ("https:///jwks", False),
    ],
)
def test_keys_are_fetched_over_https_or_from_this_machine(url: str, trusted: bool) -> None:
    from batchflow_service.auth.oidc import _trusted_url

    assert _trusted_url(url) is trusted
