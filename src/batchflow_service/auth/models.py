"""Users and personal access tokens as the store keeps them, and as the API shows them."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from ..models import utcnow
from .roles import Role

USER_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$"


class User(BaseModel):
    name: str = Field(pattern=USER_NAME_PATTERN)
    role: Role
    password_hash: str | None = Field(default=None, exclude=True)
    disabled: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class PersonalToken(BaseModel):
    id: str
    owner: str
    name: str
    secret_sha256: str = Field(exclude=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime


class NewUser(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=USER_NAME_PATTERN, description="Letters, digits, . _ @ -")
    role: Role
    password: str = Field(min_length=12, max_length=256)


class UserChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role | None = None
    disabled: StrictBool | None = None
    password: str | None = Field(default=None, min_length=12, max_length=256)


class NewToken(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$")
    expires_in_days: StrictInt = Field(default=30, ge=1, le=366)


class IssuedToken(BaseModel):
    id: str
    name: str
    token: str = Field(description="Shown once: only its digest is kept")
    expires_at: datetime


class AccessToken(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 (the OAuth2 token type, not a secret)
    expires_in: int = Field(description="Seconds until the token expires")


class Me(BaseModel):
    name: str
    role: Role
    via: str = Field(description="session, personal, oidc or none")


class OidcSignIn(BaseModel):
    issuer: str
    client_id: str = Field(description="A public client: authorization code with PKCE")
    scope: str
    token: Literal["access", "id"] = Field(description="Which of the tokens to present")
    resource: str | None = Field(
        default=None,
        description="For an access token: asked for as RFC 8707 `resource` (the audience)",
    )
    name: str = Field(description="The provider's name, for the sign-in button")


class SignInOptions(BaseModel):
    mode: str = Field(description="builtin, oidc or none (BATCHFLOW_AUTH)")
    oidc: OidcSignIn | None = Field(
        default=None, description="With BATCHFLOW_OIDC_CLIENT_ID set: how a browser signs in"
    )
