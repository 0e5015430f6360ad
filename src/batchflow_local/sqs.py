"""SQS for the local AWS: moto's SQS backend, answering both of SQS's protocols (JSON with
`X-Amz-Target: AmazonSQS.*`, as botocore speaks it now, and the older query protocol)."""

import re
from html import escape

from moto.sqs.models import Queue, SQSBackend, sqs_backends
from starlette.responses import JSONResponse, Response

from .config import ACCOUNT_ID
from .errors import AwsError

JSON_TARGET_PREFIX = "AmazonSQS."
QUEUE_NAME = re.compile(r"[A-Za-z0-9_-]{1,80}")


def sqs_backend(region: str) -> SQSBackend:
    """moto's SQS for this account and region: one per process, like its S3."""
    return sqs_backends[ACCOUNT_ID][region]


def check_queue_name(name: str) -> str:
    if not QUEUE_NAME.fullmatch(name):
        raise ValueError(
            f"SQS queue name {name!r} is not valid: use 1-80 letters, digits, '-' or '_' "
            "(a standard queue; FIFO queues are not used for events)"
        )
    return name


def queue_url(endpoint: str, name: str) -> str:
    """The URL GetQueueUrl answers for `name` on the local AWS at `endpoint`."""
    return f"{endpoint}/{ACCOUNT_ID}/{name}"


def ensure_queue(region: str, name: str) -> Queue:
    """The standard queue `name`, created if absent (moto's create_queue keeps an existing one
    with the same attributes)."""
    return sqs_backend(region).create_queue(check_queue_name(name))


def sqs_error(error: AwsError, json_protocol: bool) -> Response:
    """An error as the request's protocol shapes it, for requests refused before moto sees
    them."""
    if json_protocol:
        return JSONResponse(
            {"__type": error.code, "message": error.message},
            error.status,
            media_type="application/x-amz-json-1.0",
        )
    body = (
        "<?xml version='1.0' encoding='UTF-8'?><ErrorResponse><Error><Type>Sender</Type>"
        f"<Code>{escape(error.code)}</Code><Message>{escape(error.message)}</Message>"
        "</Error><RequestId>batchflow-local</RequestId></ErrorResponse>"
    )
    return Response(body, error.status, media_type="text/xml")
