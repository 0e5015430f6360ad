"""Bearer tokens from an OpenID provider (BATCHFLOW_AUTH=oidc): signature, issuer, audience,
lifetime, and the caller's role from a claim."""

import asyncio
import json
import logging
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx
import jwt

from ..loopback import is_loopback
from ..settings import Settings
from .identity import Identity, InvalidTokenError
from .roles import Role

log = logging.getLogger(__name__)

KEY_TYPES = {"RS256": "RSA", "ES256": "EC"}
"""The algorithms accepted, and the only key type each may be verified with."""
MAX_TOKEN_CHARS = 16 * 1024
MAX_DOCUMENT_BYTES = 1024 * 1024
REFETCH_SECONDS = 30.0
"""A token naming an unknown key refetches the JWKS at most this often."""
RETRY_SECONDS = 5.0
POWER = (Role.ADMIN, Role.MAINTAINER, Role.LAUNCHER, Role.VIEWER)


class OidcUnavailableError(Exception):
    """The provider's discovery document or keys cannot be fetched or make no sense (503)."""


class OidcVerifier:
    def __init__(
        self,
        issuer: str,
        audience: str,
        *,
        role_claim: str = "groups",
        role_map: Mapping[str, str] | None = None,
        username_claim: str = "sub",
        cache_seconds: float = 300,
        http_timeout: float = 5,
        leeway: float = 30,
    ) -> None:
        if not issuer or not audience:
            raise ValueError(f"OIDC needs an issuer and an audience, got {issuer!r}, {audience!r}")
        self.issuer = issuer
        self.audience = audience
        self.role_claim = role_claim
        self.role_map = _role_map(role_map)
        self.username_claim = username_claim
        self.cache_seconds = cache_seconds
        self.leeway = leeway
        self._http = httpx.AsyncClient(timeout=http_timeout, follow_redirects=False)
        self._lock = asyncio.Lock()
        self._jwks_uri: str | None = None
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = -float("inf")
        self._refetched_at = -float("inf")
        self._failed_at = -float("inf")
        self._failure = ""

    @classmethod
    def from_settings(cls, settings: Settings) -> "OidcVerifier":
        issuer, audience = settings.oidc_issuer, settings.oidc_audience
        if not issuer or not audience:
            raise ValueError(
                "BATCHFLOW_AUTH=oidc needs BATCHFLOW_OIDC_ISSUER (the provider's issuer URL) and "
                f"BATCHFLOW_OIDC_AUDIENCE (the aud of its tokens); got {issuer!r}, {audience!r}"
            )
        return cls(
            issuer,
            audience,
            role_claim=settings.oidc_role_claim,
            role_map=settings.oidc_role_map,
            username_claim=settings.oidc_username_claim,
        )

    async def verify(self, token: str) -> Identity:
        if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS:
            raise InvalidTokenError(f"not a token, or longer than {MAX_TOKEN_CHARS} characters")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise InvalidTokenError(f"malformed token: {error}") from error
        alg = header.get("alg")
        if alg not in KEY_TYPES:
            raise InvalidTokenError(f"algorithm {alg!r} is not one of {sorted(KEY_TYPES)}")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise InvalidTokenError("the token names no key (kid)")
        key = await self._key(kid)
        if key.key_type != KEY_TYPES[alg] or key.algorithm_name != alg:
            raise InvalidTokenError(
                f"key {kid!r} is {key.key_type}/{key.algorithm_name}, the token says {alg}"
            )
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[alg],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iat", "iss", "aud"]},
            )
        except jwt.PyJWTError as error:
            raise InvalidTokenError(f"token refused: {error}") from error
        name = _claim(claims, self.username_claim)
        if not isinstance(name, str) or not name:
            raise InvalidTokenError(f"the token has no {self.username_claim!r} string claim")
        return Identity(name=name, role=self._role(claims), via="oidc")

    async def close(self) -> None:
        await self._http.aclose()

    def _role(self, claims: dict[str, Any]) -> Role:
        value = _claim(claims, self.role_claim)
        values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        roles = {self.role_map[v] for v in values if isinstance(v, str) and v in self.role_map}
        for role in POWER:
            if role in roles:
                return role
        raise InvalidTokenError(f"no role: {self.role_claim!r} is {value!r}")

    async def _key(self, kid: str) -> jwt.PyJWK:
        if kid in self._keys and time.monotonic() - self._fetched_at <= self.cache_seconds:
            return self._keys[kid]
        async with self._lock:
            now = time.monotonic()
            if now - self._fetched_at > self.cache_seconds:
                await self._refresh()
            elif kid not in self._keys and now - self._refetched_at > REFETCH_SECONDS:
                # Perhaps the provider rotated its keys; garbage kids refetch only this often.
                self._refetched_at = now
                await self._refresh()
        key = self._keys.get(kid)
        if key is None:
            raise InvalidTokenError(f"key {kid!r} is not in the provider's JWKS")
        return key

    async def _refresh(self) -> None:
        """Fetches the keys; after a failure, fails fast for RETRY_SECONDS rather than make
        every request wait for an unreachable provider."""
        if time.monotonic() - self._failed_at < RETRY_SECONDS:
            raise OidcUnavailableError(self._failure)
        try:
            self._keys = await self._fetch_keys()
        except OidcUnavailableError as error:
            self._failed_at = time.monotonic()
            self._failure = str(error)
            raise
        self._fetched_at = time.monotonic()

    async def _fetch_keys(self) -> dict[str, jwt.PyJWK]:
        if self._jwks_uri is None:
            discovery_url = f"{self.issuer.rstrip('/')}/.well-known/openid-configuration"
            discovery = await self._get_json(discovery_url)
            if discovery.get("issuer") != self.issuer:
                raise OidcUnavailableError(
                    f"{discovery_url} names issuer {discovery.get('issuer')!r}, not "
                    f"{self.issuer!r}; set BATCHFLOW_OIDC_ISSUER to exactly the provider's issuer"
                )
            jwks_uri = discovery.get("jwks_uri")
            if not isinstance(jwks_uri, str) or not _trusted_url(jwks_uri):
                raise OidcUnavailableError(
                    f"{discovery_url} names no https:// jwks_uri (plain http only on loopback): "
                    f"{jwks_uri!r}"
                )
            self._jwks_uri = jwks_uri
        jwks = await self._get_json(self._jwks_uri)
        keys = jwks.get("keys")
        if not isinstance(keys, list):
            raise OidcUnavailableError(f"{self._jwks_uri} has no list of keys")
        usable = _signing_keys(keys)
        log.info("fetched %d signing keys from %s", len(usable), self._jwks_uri)
        return usable

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            async with self._http.stream("GET", url, headers={"accept": "application/json"}) as r:
                if r.status_code != 200:
                    raise OidcUnavailableError(f"GET {url} answered {r.status_code}")
                body = bytearray()
                async for chunk in r.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_DOCUMENT_BYTES:
                        raise OidcUnavailableError(f"GET {url} sent over {MAX_DOCUMENT_BYTES} B")
        except httpx.HTTPError as error:
            raise OidcUnavailableError(f"GET {url} failed: {error!r}") from error
        try:
            document = json.loads(body)
        except ValueError as error:
            raise OidcUnavailableError(f"GET {url} sent no JSON: {error}") from error
        if not isinstance(document, dict):
            raise OidcUnavailableError(f"GET {url} sent no JSON object")
        return document


def _trusted_url(url: str) -> bool:
    """https, or http to this machine: keys fetched in the clear could be anyone's."""
    parsed = urlsplit(url)
    if parsed.scheme == "https":
        return bool(parsed.hostname)
    return parsed.scheme == "http" and is_loopback(parsed.hostname or "")


def _signing_keys(keys: list[Any]) -> dict[str, jwt.PyJWK]:
    """The RSA and EC keys meant for signatures, by kid; the JWKS may hold others."""
    usable = {}
    for data in keys:
        if not isinstance(data, dict) or not isinstance(data.get("kid"), str):
            continue
        if data.get("use", "sig") != "sig" or data.get("kty") not in KEY_TYPES.values():
            continue
        try:
            usable[data["kid"]] = jwt.PyJWK(data)
        except jwt.PyJWTError as error:
            log.warning("ignoring key %s of the provider: %s", data["kid"], error)
    return usable


def _claim(claims: dict[str, Any], path: str) -> Any:
    """`path` names a claim (cognito:groups, https://example.com/roles) or, when no claim has
    that name, a dotted path into nested ones (realm_access.roles)."""
    if path in claims:
        return claims[path]
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _role_map(role_map: Mapping[str, str] | None) -> dict[str, Role]:
    if role_map is None:
        return {role.value: role for role in Role}
    roles = {role.value for role in Role}
    wrong = {claim: role for claim, role in role_map.items() if role not in roles}
    if wrong:
        raise ValueError(
            f"the OIDC role map names unknown roles {wrong}; use one of {sorted(roles)}"
        )
    return {claim: Role(role) for claim, role in role_map.items()}
