"""Short-lived session tokens from POST /auth/token: JWTs signed with the service's key."""

import functools
import time
import uuid
from datetime import UTC, datetime, timedelta

import jwt

from .identity import InvalidTokenError

ALGORITHM = "HS256"
ISSUER = "batchflow"
AUDIENCE = "batchflow"
VERIFIED_TOKENS_KEPT = 4096
"""Tokens whose signature and claims were checked, kept with their expiry: a client sends the
same token with every request, and checking the signature again was a tenth of a request's
CPU."""


class SessionTokens:
    def __init__(self, key: str, lifetime: timedelta) -> None:
        self._key = key
        self.lifetime = lifetime
        self._verified = functools.lru_cache(maxsize=VERIFIED_TOKENS_KEPT)(self._verify)

    def issue(self, user_name: str) -> str:
        now = datetime.now(UTC)
        claims = {
            "sub": user_name,
            "iss": ISSUER,
            "aud": AUDIENCE,
            "iat": now,
            "exp": now + self.lifetime,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def user_name(self, token: str) -> str:
        """The user a token was issued to, if this service signed it and it has not expired."""
        subject, expires_at = self._verified(token)
        if time.time() >= expires_at:
            raise InvalidTokenError("session token refused: Signature has expired")
        return subject

    def _verify(self, token: str) -> tuple[str, float]:
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": ["sub", "exp", "iat", "iss", "aud"]},
            )
        except jwt.PyJWTError as error:
            raise InvalidTokenError(f"session token refused: {error}") from None
        subject = claims["sub"]
        if not isinstance(subject, str):
            raise InvalidTokenError("session token refused: sub is not a string")
        return subject, float(claims["exp"])
