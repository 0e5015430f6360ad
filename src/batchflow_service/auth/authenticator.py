"""Turns a bearer token into the Identity of who is asking, and a password into a token."""

import secrets
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from ..store import RunStore
from . import personal
from .download_links import DownloadGrant, DownloadLinks
from .identity import Identity, InvalidTokenError
from .models import AccessToken, User
from .passwords import password_matches
from .roles import Role
from .sessions import SessionTokens
from .throttle import LoginThrottle

if TYPE_CHECKING:
    from ..settings import Settings
    from .oidc import OidcVerifier

MAX_TOKEN_LENGTH = 16 * 1024
SESSION_KEY = "session-signing-key"
NO_AUTH = Identity(name="anonymous", role=Role.ADMIN, via="none")


class LoginFailedError(Exception):
    """A wrong name or password: the same answer for both (HTTP 401)."""


class LoginThrottledError(Exception):
    """Too many failed logins for this name (HTTP 429)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins; try again in {retry_after} s")
        self.retry_after = retry_after


class Authenticator:
    def __init__(self, settings: "Settings", store: RunStore) -> None:
        self.mode = settings.auth
        self._settings = settings
        self._store = store
        self.throttle = LoginThrottle()
        self._sessions: SessionTokens | None = None
        self._download_links: DownloadLinks | None = None
        self._oidc: OidcVerifier | None = None

    async def start(self) -> None:
        if self.mode == "oidc":
            from .oidc import OidcVerifier

            self._oidc = OidcVerifier.from_settings(self._settings)
        configured = self._settings.secret_key
        key = (
            configured.get_secret_value()
            if configured
            else await self._store.keep_secret(SESSION_KEY, secrets.token_urlsafe(48))
        )
        self._sessions = SessionTokens(key, timedelta(minutes=self._settings.token_minutes))
        self._download_links = DownloadLinks(key)

    async def close(self) -> None:
        if self._oidc is not None:
            await self._oidc.close()

    @property
    def sessions(self) -> SessionTokens:
        if self._sessions is None:
            raise RuntimeError("Authenticator.start() was not called")
        return self._sessions

    @property
    def download_links(self) -> DownloadLinks:
        if self._download_links is None:
            raise RuntimeError("Authenticator.start() was not called")
        return self._download_links

    async def download_grant(self, token: str) -> DownloadGrant:
        """What a download link allows; a user this service keeps must still be enabled, and
        acts with the role they have now."""
        if len(token) > MAX_TOKEN_LENGTH:
            raise InvalidTokenError("download link too long")
        grant = self.download_links.grant(token)
        if grant.holder.via not in ("session", "personal"):
            return grant
        user = await self._active_user(grant.holder.name)
        holder = Identity(name=user.name, role=user.role, via=grant.holder.via)
        return DownloadGrant(holder=holder, run_id=grant.run_id, path=grant.path)

    async def login(self, name: str, password: str) -> AccessToken:
        wait = self.throttle.retry_after(name)
        if wait:
            raise LoginThrottledError(wait)
        # Counted before the password is checked: tries sent together cannot all pass the
        # throttle while the first ones are still being checked.
        self.throttle.failed(name)
        user = await self._store.get_user(name)
        matches = await password_matches(password, user.password_hash if user else None)
        if user is None or not matches or user.disabled:
            raise LoginFailedError("incorrect username or password")
        self.throttle.succeeded(name)
        return AccessToken(
            access_token=self.sessions.issue(user.name),
            expires_in=int(self.sessions.lifetime.total_seconds()),
        )

    async def identify(self, token: str) -> Identity:
        """Who holds this token; InvalidTokenError if nobody (or a disabled user) does."""
        if self.mode == "none":
            return NO_AUTH
        if len(token) > MAX_TOKEN_LENGTH:
            raise InvalidTokenError("token too long")
        if token.startswith(personal.PREFIX) and self.mode == "builtin":
            return await self._personal(token)
        if self._oidc is not None:
            return await self._oidc.verify(token)
        user = await self._active_user(self.sessions.user_name(token))
        return Identity(name=user.name, role=user.role, via="session")

    async def _personal(self, token: str) -> Identity:
        parsed = personal.parse(token)
        if parsed is None:
            raise InvalidTokenError("malformed personal access token")
        token_id, secret = parsed
        kept = await self._store.get_token(token_id)
        if kept is None or not personal.secret_matches(secret, kept.secret_sha256):
            raise InvalidTokenError("unknown or revoked personal access token")
        if kept.expires_at <= datetime.now(UTC):
            raise InvalidTokenError("expired personal access token")
        user = await self._active_user(kept.owner)
        return Identity(name=user.name, role=user.role, via="personal")

    async def _active_user(self, name: str) -> User:
        user = await self._store.get_user(name)
        if user is None or user.disabled:
            raise InvalidTokenError(f"user {name!r} is unknown or disabled")
        return user
