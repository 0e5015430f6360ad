"""Links that fetch one output file without a bearer header, for a browser to navigate to:
short-lived JWTs naming the user, the run and the file, signed with the service's key."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from .identity import Identity, InvalidTokenError
from .roles import Role
from .sessions import ALGORITHM, ISSUER

AUDIENCE = "batchflow-download"
"""Not the session tokens' audience: neither kind of token passes for the other."""
LIFETIME = timedelta(minutes=2)


@dataclass(frozen=True)
class DownloadGrant:
    holder: Identity
    run_id: str
    path: str


class DownloadLinks:
    def __init__(self, key: str, lifetime: timedelta = LIFETIME) -> None:
        self._key = key
        self.lifetime = lifetime

    def issue(self, caller: Identity, run_id: str, path: str) -> tuple[str, datetime]:
        now = datetime.now(UTC)
        expires_at = now + self.lifetime
        claims = {
            "sub": caller.name,
            "role": caller.role.value,
            "via": caller.via,
            "run": run_id,
            "path": path,
            "iss": ISSUER,
            "aud": AUDIENCE,
            "iat": now,
            "exp": expires_at,
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM), expires_at

    def grant(self, token: str) -> DownloadGrant:
        """What a link allows, if this service signed it and it has not expired."""
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": ["sub", "role", "via", "run", "path", "exp", "iat"]},
            )
            holder = Identity(name=claims["sub"], role=Role(claims["role"]), via=claims["via"])
        except (jwt.PyJWTError, ValueError) as error:
            raise InvalidTokenError(f"download link refused: {error}") from None
        if not all(isinstance(claims[key], str) for key in ("sub", "via", "run", "path")):
            raise InvalidTokenError("download link refused: a claim is not a string")
        return DownloadGrant(holder=holder, run_id=claims["run"], path=claims["path"])
