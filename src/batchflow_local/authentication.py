"""Which signature a request carries: the one entry point for checking who is asking."""

import time

from .signatures import Credentials, Reason, Received, Signature, SignatureError
from .sigv2 import HeaderSigV2, QuerySigV2
from .sigv4 import SIGV4, HeaderSigV4, QuerySigV4


def signature_of(
    received: Received, credentials: Credentials, service: str, now: float | None = None
) -> Signature:
    """The request's signature, once its form, key id and time are right."""
    now = time.time() if now is None else now
    authorization = received.header("authorization")
    if authorization is not None:
        if authorization.startswith(SIGV4):
            return HeaderSigV4(received, credentials, service, now)
        if authorization.startswith("AWS ") and service == "s3":
            return HeaderSigV2(received, credentials, now)
        raise SignatureError(
            Reason.MALFORMED,
            f"Authorization header {authorization.split(' ', 1)[0]!r} is not a signature "
            f"batchflow local accepts for {service}: use AWS Signature Version 4 "
            f"({SIGV4}), as botocore does",
        )
    if service == "s3":
        if received.query_value("X-Amz-Algorithm") is not None:
            return QuerySigV4(received, credentials, now)
        if received.query_value("AWSAccessKeyId") is not None:
            return QuerySigV2(received, credentials, now)
    raise SignatureError(
        Reason.MISSING,
        "Request is not signed: batchflow local answers only requests signed with the "
        "credentials it printed at start (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY); "
        "they are new each time it starts",
    )
