"""Personal access tokens: `bfp_<id>_<secret>`, of which only the secret's digest is kept."""

import hashlib
import hmac
import re
import secrets

PREFIX = "bfp_"
TOKEN_PATTERN = re.compile(r"^bfp_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")


def new_token() -> tuple[str, str, str]:
    """(id, the token to hand out once, the digest to keep)."""
    token_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    return token_id, f"{PREFIX}{token_id}_{secret}", digest(secret)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse(token: str) -> tuple[str, str] | None:
    """(id, secret) of a well-formed personal access token, else None."""
    match = TOKEN_PATTERN.match(token)
    return (match.group(1), match.group(2)) if match else None


def secret_matches(secret: str, kept_digest: str) -> bool:
    return hmac.compare_digest(digest(secret), kept_digest)
