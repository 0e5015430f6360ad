"""S3's older Signature Version 2: `Authorization: AWS KEY:SIGNATURE`, and the presigned URLs
boto3's generate_presigned_url makes for S3 unless told signature_version "s3v4"."""

import re
from urllib.parse import unquote, urlsplit

from botocore.auth import HmacV1Auth
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials as BotocoreCredentials

from .signatures import (
    Credentials,
    Reason,
    Received,
    SignatureError,
    check_skew,
    mismatch,
    parse_http_date,
    same,
    unknown_key,
)
from .sigv4 import MAX_PRESIGNED_SECONDS

SIGV2_HEADER = re.compile(r"^AWS (?P<key>[^:\s]+):(?P<signature>\S+)$")


class DatedHmacV1(HmacV1Auth):
    """botocore's Signature Version 2 signer, told the date the request was signed with."""

    def __init__(self, credentials: Credentials, date: str) -> None:
        super().__init__(
            BotocoreCredentials(credentials.access_key_id, credentials.secret_access_key)
        )
        self._date = date

    def _get_date(self) -> str:
        return self._date


def sigv2_resource(raw_path: str) -> str:
    """The path version 2 signs: a bucket's own is `/bucket/` even when sent as `/bucket`."""
    if raw_path != "/" and raw_path.count("/") == 1:
        return raw_path + "/"
    return raw_path


def sigv2_headers(pairs: list[tuple[str, str]]) -> HTTPHeaders:
    headers = HTTPHeaders()
    for name, value in pairs:
        if name.startswith("x-amz-") or name in ("content-md5", "content-type"):
            headers[name] = value
    return headers


def check_sigv2(
    received: Received, signer: "DatedHmacV1", headers: HTTPHeaders, signature: str, what: str
) -> None:
    expected = signer.get_signature(
        received.method,
        urlsplit(received.url()),
        headers,
        auth_path=sigv2_resource(received.raw_path),
    )
    if not same(expected, signature):
        raise mismatch(what)


class HeaderSigV2:
    """S3's older `Authorization: AWS KEY:SIGNATURE` (botocore's signature_version "s3")."""

    covers_body = False

    def __init__(self, received: Received, credentials: Credentials, now: float) -> None:
        found = SIGV2_HEADER.match(received.header("authorization") or "")
        if found is None:
            raise SignatureError(Reason.MALFORMED, "Authorization header is not `AWS KEY:SIG`")
        if not credentials.knows(found["key"]):
            raise unknown_key(found["key"])
        date = received.header("date")
        amz_date = received.header("x-amz-date")
        if date is None and amz_date is None:
            raise SignatureError(Reason.MALFORMED, "Signed request has neither Date nor X-Amz-Date")
        check_skew(parse_http_date(amz_date or date or ""), now)
        self.received = received
        self.signer = DatedHmacV1(credentials, date or "")
        self.signature = found["signature"]

    def verify(self, body: bytes) -> None:
        check_sigv2(
            self.received,
            self.signer,
            sigv2_headers(list(self.received.headers)),
            self.signature,
            "Signature Version 2",
        )


class QuerySigV2:
    """A presigned S3 URL of Signature Version 2 (`AWSAccessKeyId`, `Expires`, `Signature`):
    what boto3's generate_presigned_url makes unless told signature_version "s3v4"."""

    covers_body = False

    def __init__(self, received: Received, credentials: Credentials, now: float) -> None:
        key = received.query_value("AWSAccessKeyId") or ""
        expires = received.query_value("Expires") or ""
        signature = received.query_value("Signature")
        if not expires.isascii() or not expires.isdigit() or signature is None:
            raise SignatureError(
                Reason.MALFORMED, "Presigned URL needs AWSAccessKeyId, Expires and Signature"
            )
        if not credentials.knows(key):
            raise unknown_key(key)
        if now > int(expires):
            raise SignatureError(Reason.EXPIRED, "Request has expired")
        if int(expires) > now + MAX_PRESIGNED_SECONDS:
            raise SignatureError(
                Reason.MALFORMED, f"Expires is more than {MAX_PRESIGNED_SECONDS} s from now"
            )
        self.received = received
        self.signer = DatedHmacV1(credentials, expires)
        self.signature = signature

    def verify(self, body: bytes) -> None:
        pairs = [(unquote(k).lower(), unquote(v)) for k, v in self.received.query_pairs()]
        check_sigv2(
            self.received, self.signer, sigv2_headers(pairs), self.signature, "presigned URL's"
        )
