"""What checking a request's signature works with: the credentials, the request as received,
and why a request is refused, named as each service names it.

A signature is checked in two steps, so that a request refused on its headers alone is never
read: constructing it (see `authentication.signature_of`) checks the form, the key id and the
time; `Signature.verify` then recomputes it with botocore's own signer, over the body when the
signature covers the body.
"""

import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import Enum
from typing import Protocol
from urllib.parse import unquote

from botocore.auth import SIGV4_TIMESTAMP
from starlette.types import Scope

from .errors import AwsError

MAX_SKEW_SECONDS = 15 * 60


@dataclass(frozen=True, repr=False)
class Credentials:
    access_key_id: str
    secret_access_key: str

    def knows(self, access_key_id: str) -> bool:
        return hmac.compare_digest(access_key_id.encode(), self.access_key_id.encode())

    def match(self, access_key_id: str, secret_access_key: str) -> bool:
        """Both compared in constant time, the second even when the first differs."""
        secret = self.secret_access_key.encode()
        secret_matches = hmac.compare_digest(secret_access_key.encode(), secret)
        return self.knows(access_key_id) and secret_matches


class Reason(Enum):
    """Why a request was refused; each service names it with a code of its own."""

    MISSING = "missing"
    MALFORMED = "malformed"
    UNKNOWN_KEY = "unknown key"
    MISMATCH = "mismatch"
    BODY_MISMATCH = "body mismatch"
    SKEWED = "skewed"
    EXPIRED = "expired"


JSON_CODES = {
    Reason.MISSING: ("InvalidSignatureException", 403),
    Reason.MALFORMED: ("IncompleteSignatureException", 400),
    Reason.UNKNOWN_KEY: ("UnrecognizedClientException", 403),
    Reason.MISMATCH: ("InvalidSignatureException", 403),
    Reason.BODY_MISMATCH: ("InvalidSignatureException", 403),
    Reason.SKEWED: ("InvalidSignatureException", 403),
    Reason.EXPIRED: ("InvalidSignatureException", 403),
}
S3_CODES = {
    Reason.MISSING: ("AccessDenied", 403),
    Reason.MALFORMED: ("AuthorizationHeaderMalformed", 400),
    Reason.UNKNOWN_KEY: ("InvalidAccessKeyId", 403),
    Reason.MISMATCH: ("SignatureDoesNotMatch", 403),
    Reason.BODY_MISMATCH: ("XAmzContentSHA256Mismatch", 400),
    Reason.SKEWED: ("RequestTimeTooSkewed", 403),
    Reason.EXPIRED: ("AccessDenied", 403),
}


class SignatureError(Exception):
    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message

    def as_aws_error(self, service: str) -> AwsError:
        code, status = (S3_CODES if service == "s3" else JSON_CODES)[self.reason]
        return AwsError(code, self.message, status)


@dataclass(frozen=True)
class Received:
    """The parts of a request a signature covers, as they came over the wire."""

    method: str
    raw_path: str
    query: str
    headers: tuple[tuple[str, str], ...]

    @classmethod
    def from_scope(cls, scope: Scope) -> "Received":
        raw_path = scope.get("raw_path") or scope["path"].encode()
        return cls(
            method=scope["method"],
            raw_path=raw_path.decode("latin-1"),
            query=scope.get("query_string", b"").decode("latin-1"),
            headers=tuple(
                (name.decode("latin-1").lower(), value.decode("latin-1"))
                for name, value in scope["headers"]
            ),
        )

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key == name), None)

    def query_pairs(self) -> list[tuple[str, str]]:
        """Raw `key=value` pairs, still percent-encoded, in the order sent."""
        return [
            (key, value)
            for key, _, value in (pair.partition("=") for pair in self.query.split("&") if pair)
        ]

    def query_value(self, name: str) -> str | None:
        return next((unquote(v) for k, v in self.query_pairs() if unquote(k) == name), None)

    def url(self, query: str | None = None) -> str:
        query = self.query if query is None else query
        return f"http://{self.header('host') or ''}{self.raw_path}" + (f"?{query}" if query else "")


class Signature(Protocol):
    covers_body: bool

    def verify(self, body: bytes) -> None:
        """Raises SignatureError unless the signature is the one the secret makes."""


def unknown_key(access_key_id: str) -> SignatureError:
    return SignatureError(
        Reason.UNKNOWN_KEY,
        f"Access key id {access_key_id!r} is not this batchflow local's; use the "
        "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY it printed when it started (they are new "
        "each time it starts)",
    )


def mismatch(kind: str) -> SignatureError:
    return SignatureError(
        Reason.MISMATCH,
        f"The {kind} signature does not match the one the secret access key makes for this "
        "request: check AWS_SECRET_ACCESS_KEY against what batchflow local printed at start",
    )


def same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))


def check_skew(signed_at: datetime, now: float) -> None:
    skew = signed_at.timestamp() - now
    if abs(skew) > MAX_SKEW_SECONDS:
        raise SignatureError(
            Reason.SKEWED,
            f"Request is dated {signed_at:%Y-%m-%dT%H:%M:%SZ}, {abs(skew):.0f} s from this "
            f"machine's clock; at most {MAX_SKEW_SECONDS} s is allowed",
        )


def parse_sigv4_timestamp(value: str) -> datetime:
    try:
        return datetime.strptime(value, SIGV4_TIMESTAMP).replace(tzinfo=UTC)
    except ValueError:
        raise SignatureError(
            Reason.MALFORMED, f"X-Amz-Date {value!r} is not a date like 20260101T120000Z"
        ) from None


def parse_http_date(value: str) -> datetime:
    try:
        return parsedate_to_datetime(value).astimezone(UTC)
    except (TypeError, ValueError):
        raise SignatureError(Reason.MALFORMED, f"Date {value!r} is not an HTTP date") from None
