"""Short-lived session tokens from POST /auth/token: JWTs signed with the service's key."""

import uuid
from datetime import UTC, datetime, timedelta

import jwt

from .identity import InvalidTokenError

ALGORITHM = "HS256"
ISSUER = "batchflow"
AUDIENCE = "batchflow"


class SessionTokens:
    def __init__(self, key: str, lifetime: timedelta) -> None:
        self._key = key
        self.lifetime = lifetime

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
        return subject
