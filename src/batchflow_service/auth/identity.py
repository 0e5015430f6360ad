"""Who is asking: what every route receives once a bearer token has been checked."""

from dataclasses import dataclass
from typing import Literal

from .roles import Role, may_submit, may_upload, sees_all_runs


class InvalidTokenError(Exception):
    """The bearer token is malformed, forged, expired, revoked, or of a disabled user (401).
    The message is for the service's log; the caller always gets the same generic answer."""


@dataclass(frozen=True)
class Identity:
    name: str
    role: Role
    via: Literal["session", "personal", "oidc", "none"]
    """How the caller proved it: a /auth/token JWT, a personal access token, an OIDC
    provider's token, or nothing (BATCHFLOW_AUTH=none, tests only)."""

    @property
    def sees_all_runs(self) -> bool:
        return sees_all_runs(self.role)

    @property
    def may_submit(self) -> bool:
        return may_submit(self.role)

    @property
    def may_upload(self) -> bool:
        return may_upload(self.role)

    def owns(self, owner: str | None) -> bool:
        return owner is not None and owner == self.name
