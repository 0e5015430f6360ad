"""AWS Signature Version 4, in the `Authorization` header or (S3 presigned URLs) the query."""

import re
from hashlib import sha256
from urllib.parse import unquote

from botocore.auth import (
    SIGV4_TIMESTAMP,
    STREAMING_UNSIGNED_PAYLOAD_TRAILER,
    UNSIGNED_PAYLOAD,
    S3SigV4Auth,
    S3SigV4QueryAuth,
    SigV4Auth,
)
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotocoreCredentials

from .signatures import (
    MAX_SKEW_SECONDS,
    Credentials,
    Reason,
    Received,
    SignatureError,
    check_skew,
    mismatch,
    parse_http_date,
    parse_sigv4_timestamp,
    same,
    unknown_key,
)

SIGV4 = "AWS4-HMAC-SHA256"
SIGV4_HEADER = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<credential>[^,\s]+),\s*"
    r"SignedHeaders=(?P<signed_headers>[^,\s]+),\s*Signature=(?P<signature>[0-9a-fA-F]+)$"
)
HEX_SHA256 = re.compile(r"^[0-9a-f]{64}$")
UNSIGNED_PAYLOADS = (UNSIGNED_PAYLOAD, STREAMING_UNSIGNED_PAYLOAD_TRAILER)
MAX_PRESIGNED_SECONDS = 7 * 24 * 3600
QUERY_PARAMETERS = ("Algorithm", "Credential", "Date", "Expires", "SignedHeaders", "Signature")


def check_body_hash(signed_hash: str, body: bytes) -> None:
    if not same(sha256(body).hexdigest(), signed_hash):
        raise SignatureError(
            Reason.BODY_MISMATCH,
            "The body's SHA-256 is not the x-amz-content-sha256 it was signed with",
        )


def signed_request(received: Received, signed_headers: list[str], url: str) -> AWSRequest:
    """An AWSRequest with exactly the headers the client signed, for botocore to canonicalize."""
    request = AWSRequest(method=received.method, url=url)
    for name in signed_headers:
        values = [value for key, value in received.headers if key == name]
        if not values:
            raise SignatureError(Reason.MALFORMED, f"Signed header {name!r} is not in the request")
        for value in values:
            request.headers[name] = value
    return request


def scope_parts(credential: str, timestamp: str) -> tuple[str, str, str]:
    """(access key id, region, service) of `KEY/DATE/REGION/SERVICE/aws4_request`."""
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        raise SignatureError(
            Reason.MALFORMED,
            f"Credential {credential!r} is not KEY/DATE/REGION/SERVICE/aws4_request",
        )
    if parts[1] != timestamp[:8]:
        raise SignatureError(
            Reason.MISMATCH,
            f"Credential date {parts[1]} is not the date of the request's timestamp {timestamp}",
        )
    return parts[0], parts[2], parts[3]


class HeaderSigV4:
    """`Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`."""

    def __init__(
        self, received: Received, credentials: Credentials, service: str, now: float
    ) -> None:
        found = SIGV4_HEADER.match(received.header("authorization") or "")
        if found is None:
            raise SignatureError(
                Reason.MALFORMED,
                "Authorization header is not `AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/"
                "SERVICE/aws4_request, SignedHeaders=…, Signature=…`",
            )
        amz_date = received.header("x-amz-date")
        if amz_date is not None:
            signed_at = parse_sigv4_timestamp(amz_date)
        elif (date := received.header("date")) is not None:
            signed_at = parse_http_date(date)
        else:
            raise SignatureError(Reason.MALFORMED, "Signed request has no X-Amz-Date header")
        self.timestamp = signed_at.strftime(SIGV4_TIMESTAMP)
        key, self.region, self.service = scope_parts(found["credential"], self.timestamp)
        if not credentials.knows(key):
            raise unknown_key(key)
        check_skew(signed_at, now)
        self.received = received
        self.credentials = credentials
        self.signed_headers = found["signed_headers"].lower().split(";")
        self.signature = found["signature"].lower()
        payload = received.header("x-amz-content-sha256")
        self.payload = payload if "x-amz-content-sha256" in self.signed_headers else None
        if self.payload is not None and not HEX_SHA256.match(self.payload):
            if self.payload not in UNSIGNED_PAYLOADS:
                raise SignatureError(
                    Reason.MALFORMED,
                    f"x-amz-content-sha256 {self.payload!r} is not supported: send the body's "
                    f"SHA-256, or (S3 only) {' or '.join(UNSIGNED_PAYLOADS)}",
                )
            if service != "s3":
                raise SignatureError(
                    Reason.MALFORMED,
                    f"{service} requests must sign their body; {self.payload} is for S3",
                )
        self.covers_body = self.payload is None or HEX_SHA256.match(self.payload) is not None

    def verify(self, body: bytes) -> None:
        if self.payload is not None and self.covers_body:
            check_body_hash(self.payload, body)
        request = signed_request(self.received, self.signed_headers, self.received.url())
        request.data = body if self.covers_body else b""
        request.context["timestamp"] = self.timestamp
        credentials = BotocoreCredentials(
            self.credentials.access_key_id, self.credentials.secret_access_key
        )
        signer_class = S3SigV4Auth if self.service == "s3" else SigV4Auth
        signer = signer_class(credentials, self.service, self.region)
        canonical = signer.canonical_request(request)
        expected = signer.signature(signer.string_to_sign(request, canonical), request)
        if not same(expected, self.signature):
            raise mismatch("Signature Version 4")


class QuerySigV4:
    """A presigned S3 URL: `X-Amz-Algorithm`, `X-Amz-Credential`, … `X-Amz-Signature`."""

    covers_body = False

    def __init__(self, received: Received, credentials: Credentials, now: float) -> None:
        values = {name: received.query_value(f"X-Amz-{name}") for name in QUERY_PARAMETERS}
        missing = [f"X-Amz-{name}" for name, value in values.items() if value is None]
        if missing or values["Algorithm"] != SIGV4:
            raise SignatureError(
                Reason.MALFORMED,
                f"Presigned URL lacks {', '.join(missing) or f'X-Amz-Algorithm={SIGV4}'}",
            )
        signed_at = parse_sigv4_timestamp(values["Date"] or "")
        self.timestamp = signed_at.strftime(SIGV4_TIMESTAMP)
        key, self.region, self.service = scope_parts(values["Credential"] or "", self.timestamp)
        if not credentials.knows(key):
            raise unknown_key(key)
        expires = values["Expires"] or ""
        if (
            not expires.isascii()
            or not expires.isdigit()
            or not 1 <= int(expires) <= MAX_PRESIGNED_SECONDS
        ):
            raise SignatureError(
                Reason.MALFORMED,
                f"X-Amz-Expires {expires!r} is not 1 to {MAX_PRESIGNED_SECONDS} seconds",
            )
        if signed_at.timestamp() - now > MAX_SKEW_SECONDS:
            raise SignatureError(Reason.EXPIRED, "Request is not valid yet: it is dated ahead")
        if now > signed_at.timestamp() + int(expires):
            raise SignatureError(Reason.EXPIRED, "Request has expired")
        self.received = received
        self.credentials = credentials
        self.signed_headers = (values["SignedHeaders"] or "").lower().split(";")
        self.signature = (values["Signature"] or "").lower()

    def verify(self, body: bytes) -> None:
        unsigned_query = "&".join(
            pair
            for pair in self.received.query.split("&")
            if unquote(pair.partition("=")[0]) != "X-Amz-Signature"
        )
        url = self.received.url(unsigned_query)
        request = signed_request(self.received, self.signed_headers, url)
        request.context["timestamp"] = self.timestamp
        credentials = BotocoreCredentials(
            self.credentials.access_key_id, self.credentials.secret_access_key
        )
        signer = S3SigV4QueryAuth(credentials, self.service, self.region)
        canonical = signer.canonical_request(request)
        expected = signer.signature(signer.string_to_sign(request, canonical), request)
        if not same(expected, self.signature):
            raise mismatch("presigned URL's")
