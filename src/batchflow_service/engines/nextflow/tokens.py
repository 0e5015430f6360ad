"""Per-run secrets: made at launch, kept only as a SHA-256 digest, compared in constant time."""

import hashlib
import hmac
import secrets


def new_token() -> tuple[str, str]:
    """A fresh URL-safe secret and the digest to store in its place."""
    token = secrets.token_urlsafe(32)
    return token, digest(token)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def token_matches(token: str, expected_digest: str) -> bool:
    return hmac.compare_digest(digest(token), expected_digest)
