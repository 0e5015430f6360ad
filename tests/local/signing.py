"""Requests signed as botocore signs them, for tests that speak HTTP to the local AWS directly."""

from collections.abc import Generator

import httpx
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from batchflow_local.server import LocalAwsServer

SIGNED = ("host", "content-type", "x-amz-target", "x-amz-content-sha256")


def service_for(request: httpx.Request) -> str:
    if "x-amz-target" in request.headers:
        return "logs"
    return "batch" if request.url.path.startswith("/v1/") else "s3"


class SigV4(httpx.Auth):
    """Signs each request with Signature Version 4 for Batch, Logs or S3 (told apart as the
    local AWS tells them apart), with the given credentials."""

    requires_request_body = True

    def __init__(self, access_key_id: str, secret_access_key: str, region: str) -> None:
        self.credentials = Credentials(access_key_id, secret_access_key)
        self.region = region

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        service = service_for(request)
        signer = (S3SigV4Auth if service == "s3" else SigV4Auth)(
            self.credentials, service, self.region
        )
        headers = {name: value for name, value in request.headers.items() if name in SIGNED}
        signed = AWSRequest(request.method, str(request.url), headers, request.content)
        signer.add_auth(signed)
        for name in ("Authorization", "X-Amz-Date", "X-Amz-Content-SHA256"):
            if name in signed.headers:
                request.headers[name] = signed.headers[name]
        yield request


def signing(local_aws: LocalAwsServer, **override: str) -> SigV4:
    """SigV4 with the local AWS's own credentials, or others given as keyword arguments."""
    config = local_aws.config
    return SigV4(
        override.get("access_key_id", config.access_key_id),
        override.get("secret_access_key", config.secret_access_key),
        config.region,
    )
