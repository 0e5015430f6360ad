"""One ASGI app for the whole local AWS: each request goes to Batch, Logs, S3, SQS or the admin
API."""

import logging
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from a2wsgi import WSGIMiddleware
from moto.moto_server.werkzeug_app import create_backend_app
from moto.s3.models import S3Backend, s3_backends
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Message, Receive, Scope, Send

from . import protocol
from .admin import BasicAuth, create_admin_app
from .authentication import signature_of
from .batch_events import StateChangePublisher
from .batch_jobs import BatchJobs
from .batch_resources import BatchResources
from .config import (
    ACCOUNT_ID,
    DEFAULT_BUCKET,
    DEFAULT_COMPUTE_ENVIRONMENT,
    DEFAULT_QUEUE,
    LocalAwsConfig,
)
from .errors import AwsError
from .faults import FaultInjector
from .lifetime import Lifetime
from .logs import LogsBackend
from .persistence.local_state import LocalState, state_directory
from .scheduler import JobScheduler
from .signatures import Credentials, Received, SignatureError
from .sqs import JSON_TARGET_PREFIX, ensure_queue, sqs_backend, sqs_error
from .submit_limits import CallRateLimit, check_submit_job_size

log = logging.getLogger(__name__)

CREDENTIAL_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/[^/]+/([^/]+)/aws4_request")
PRESIGNED_SCOPE = re.compile(
    r"X-Amz-Credential=[^&/]+(?:/|%2F)\d{8}(?:/|%2F)[^&/%]+(?:/|%2F)([a-z0-9-]+)"
)
SERVED = ("batch", "logs", "s3", "sqs")
Handler = Callable[[dict[str, Any]], dict[str, Any]]


def service_of(scope: Scope) -> str:
    """Which API a request is for; bucket names can be neither `v1` nor start with `_`."""
    path: str = scope["path"]
    if path.startswith("/_batchflow"):
        return "admin"
    headers = dict(scope["headers"])
    if headers.get(b"x-amz-target", b"").startswith(protocol.LOGS_TARGET_PREFIX.encode()):
        return "logs"
    signed = CREDENTIAL_SCOPE.search(headers.get(b"authorization", b"").decode(errors="replace"))
    signed = signed or PRESIGNED_SCOPE.search(
        scope.get("query_string", b"").decode(errors="replace")
    )
    if signed:
        return signed.group(1)
    return "batch" if path.startswith("/v1/") else "s3"


async def read_body(receive: Receive, limit: int | None) -> bytes:
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise AwsError("IncompleteBody", "The client went away before sending the body")
        body += message.get("body", b"")
        if limit is not None and len(body) > limit:
            raise AwsError(
                "RequestEntityTooLargeException", f"Request body is larger than {limit} bytes", 413
            )
        if not message.get("more_body", False):
            return bytes(body)


def replay(body: bytes, receive: Receive) -> Receive:
    """A receive that hands on the body already read, then whatever the client sends next."""
    sent = False

    async def receive_again() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive_again


def default_s3_backend() -> S3Backend:
    """moto's S3 for this account: one per process, whatever local AWS serves it."""
    return s3_backends[ACCOUNT_ID]["global"]


def error_response(service: str, error: AwsError, scope: Scope) -> Response:
    """The error as the service's protocol shapes it: restJson1, awsJson1.1, SQS's JSON or
    query protocol, or S3's XML."""
    if service == "batch":
        return protocol.rest_json_error(error)
    if service == "logs":
        return protocol.aws_json_error(error)
    if service == "sqs":
        target = dict(scope["headers"]).get(b"x-amz-target", b"")
        return sqs_error(error, target.startswith(JSON_TARGET_PREFIX.encode()))
    return protocol.s3_error(error.code, error.message, error.status)


class LocalAws:
    """Batch, CloudWatch Logs and S3 state, served as one ASGI application."""

    def __init__(self, config: LocalAwsConfig, client_environment: dict[str, str]) -> None:
        self.config = config
        self.credentials = Credentials(config.access_key_id, config.secret_access_key)
        self.logs = LogsBackend(config.region, ACCOUNT_ID)
        self.faults = FaultInjector()
        self.lifetime = Lifetime(config.lease_grace_seconds)
        self.scheduler = JobScheduler(config, self.logs, self.faults, client_environment)
        self.resources = BatchResources(config, ACCOUNT_ID)
        self.jobs = BatchJobs(self.resources, self.scheduler)
        self.calls: Counter[str] = Counter()
        self.throttled: Counter[str] = Counter()
        rate = config.submit_jobs_per_second
        self.submit_rate = CallRateLimit(rate) if rate else None
        self.admin = BasicAuth(create_admin_app(self), self.credentials)
        directory = state_directory(config)
        self.state = LocalState(directory, default_s3_backend) if directory else None
        s3_app = create_backend_app("s3")
        s3_app.debug = False
        self.s3 = WSGIMiddleware(self.state.recording_s3(s3_app) if self.state else s3_app)
        sqs_app = create_backend_app("sqs")
        sqs_app.debug = False
        # Its own threads: a long poll holds one for up to 20 s, and S3 must not wait for it.
        self.sqs = WSGIMiddleware(sqs_app, workers=32)
        self.batch_handlers: dict[str, Handler] = {
            "CreateComputeEnvironment": self.resources.create_compute_environment,
            "DescribeComputeEnvironments": self.resources.describe_compute_environments,
            "CreateJobQueue": self.resources.create_job_queue,
            "DescribeJobQueues": self.resources.describe_job_queues,
            "RegisterJobDefinition": self.resources.register_job_definition,
            "DescribeJobDefinitions": self.resources.describe_job_definitions,
            "DeregisterJobDefinition": self.resources.deregister_job_definition,
            "SubmitJob": self.jobs.submit_job,
            "DescribeJobs": self.jobs.describe_jobs,
            "ListJobs": self.jobs.list_jobs,
            "TerminateJob": self.jobs.terminate_job,
            "CancelJob": self.jobs.cancel_job,
            "TagResource": self.jobs.tag_resource,
            "UntagResource": self.jobs.untag_resource,
            "ListTagsForResource": self.jobs.list_tags_for_resource,
        }
        self.logs_handlers: dict[str, Handler] = {
            "CreateLogGroup": self.logs.create_log_group,
            "CreateLogStream": self.logs.create_log_stream,
            "DescribeLogGroups": self.logs.describe_log_groups,
            "DescribeLogStreams": self.logs.describe_log_streams,
            "GetLogEvents": self.logs.get_log_events,
            "FilterLogEvents": self.logs.filter_log_events,
            "PutLogEvents": self.logs.put_log_events,
        }

    def bootstrap(self) -> None:
        """What the last local AWS on this work directory kept, and the compute environment,
        job queue and bucket every client expects to find."""
        if self.state is not None:
            self.state.restore(self)
        if DEFAULT_COMPUTE_ENVIRONMENT in self.resources.compute_environments:
            self._resize_default_compute_environment()
        else:
            self._create_default_compute_environment()
        if DEFAULT_QUEUE not in self.resources.queues:
            self.resources.create_job_queue(
                {
                    "jobQueueName": DEFAULT_QUEUE,
                    "priority": 1,
                    "computeEnvironmentOrder": [
                        {"order": 1, "computeEnvironment": DEFAULT_COMPUTE_ENVIRONMENT}
                    ],
                }
            )
        s3 = default_s3_backend()
        if DEFAULT_BUCKET not in s3.buckets:
            s3.create_bucket(DEFAULT_BUCKET, self.config.region)
        if self.state is not None:
            self.state.batch.save_resources(self.resources)
            self.state.keep_s3({(DEFAULT_BUCKET, None)})
        if self.config.events_queue:
            self._publish_events(self.config.events_queue)

    def _publish_events(self, queue: str) -> None:
        """Every job status change from now on is an event on `queue` (SQS state is not kept
        across restarts: the queue starts empty)."""
        ensure_queue(self.config.region, queue)
        self.scheduler.recorder = StateChangePublisher(
            self.scheduler.recorder,
            sqs_backend(self.config.region),
            queue,
            ACCOUNT_ID,
            self.config.region,
        )

    def _resize_default_compute_environment(self) -> None:
        """A restart keeps the `local` compute environment, at this start's --vcpus."""
        environment = self.resources.compute_environments[DEFAULT_COMPUTE_ENVIRONMENT]
        environment.compute_resources["maxvCpus"] = self.config.vcpus
        environment.limit.vcpus = environment.free.vcpus = self.config.vcpus

    def _create_default_compute_environment(self) -> None:
        self.resources.create_compute_environment(
            {
                "computeEnvironmentName": DEFAULT_COMPUTE_ENVIRONMENT,
                "type": "MANAGED",
                "computeResources": {
                    "type": "EC2",
                    "minvCpus": 0,
                    "maxvCpus": self.config.vcpus,
                    "instanceTypes": ["local"],
                    "subnets": [],
                },
            }
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        service = service_of(scope)
        if service == "admin":
            await self.admin(scope, receive, send)
            return
        if service not in SERVED:
            response = protocol.s3_error(
                "UnsupportedService",
                f"batchflow local serves {', '.join(SERVED)}; not {service}",
                400,
            )
            await response(scope, receive, send)
            return
        try:
            body = await self._signed_body(scope, receive, service)
        except SignatureError as error:
            await error_response(service, error.as_aws_error(service), scope)(scope, receive, send)
            return
        except AwsError as error:
            await error_response(service, error, scope)(scope, receive, send)
            return
        if service == "s3":
            await self._s3(scope, receive if body is None else replay(body, receive), send)
            return
        if service == "sqs":
            await self._sqs(scope, replay(body or b"", receive), send)
            return
        handle = self._batch if service == "batch" else self._logs
        response = await handle(Request(scope, receive), body or b"")
        await response(scope, receive, send)

    async def _signed_body(self, scope: Scope, receive: Receive, service: str) -> bytes | None:
        """The body, read once, after the signature is found to be made with this server's
        credentials; None for S3 when the signature does not cover it (then it is not read
        here, but streamed on to S3)."""
        signature = signature_of(Received.from_scope(scope), self.credentials, service)
        body = None
        if service != "s3" or signature.covers_body:
            body = await read_body(receive, None if service == "s3" else protocol.MAX_BODY_BYTES)
        signature.verify(body or b"")
        return body

    def _throttles(self, service: str, operation: str) -> bool:
        self.calls[f"{service}:{operation}"] += 1
        if self.faults.throttles(service):
            self.throttled[f"{service}:{operation}"] += 1
            return True
        return False

    async def _batch(self, request: Request, body: bytes) -> Response:
        try:
            raw_path = request.scope.get("raw_path") or request.url.path.encode()
            operation, labels = protocol.match_batch_route(request.method, raw_path.decode())
            if self._throttles("batch", operation.name):
                raise AwsError("TooManyRequestsException", "Too Many Requests", 429)
            if operation.name == "SubmitJob":
                self._admit_submit_job(body)
            handler = self.batch_handlers.get(operation.name)
            if handler is None:
                raise AwsError(
                    "ClientException", f"{operation.name} is not supported by batchflow local"
                )
            parsed = protocol.parse_json_body(body)
            params = protocol.request_parameters(operation, parsed, labels, request.url.query)
            protocol.validate(operation, params, "ClientException")
            result = handler(params)
            if self.state is not None:
                self.state.batch.after_call(operation.name, params, self.resources, self.jobs)
            return JSONResponse(result)
        except AwsError as error:
            return protocol.rest_json_error(error)
        except Exception:
            log.exception("Batch request failed: %s %s", request.method, request.url.path)
            error = AwsError("ServerException", "Internal error in batchflow local", 500)
            return protocol.rest_json_error(error)

    def _admit_submit_job(self, body: bytes) -> None:
        check_submit_job_size(body)
        if self.submit_rate is None:
            return
        try:
            self.submit_rate.admit()
        except AwsError:
            self.throttled["batch:SubmitJob"] += 1
            raise

    async def _logs(self, request: Request, body: bytes) -> Response:
        try:
            operation = protocol.logs_operation(request.headers.get("x-amz-target", ""))
            if self._throttles("logs", operation.name):
                raise AwsError("ThrottlingException", "Rate exceeded")
            handler = self.logs_handlers.get(operation.name)
            if handler is None:
                raise AwsError(
                    "InvalidOperationException",
                    f"{operation.name} is not supported by batchflow local",
                )
            params = protocol.parse_json_body(body)
            protocol.validate(operation, params, "InvalidParameterException")
            result = handler(params)
            if self.state is not None:
                self.state.logs.flush()
            return protocol.aws_json_response(result)
        except AwsError as error:
            return protocol.aws_json_error(error)
        except Exception:
            log.exception("Logs request failed")
            error = AwsError(
                "ServiceUnavailableException", "Internal error in batchflow local", 500
            )
            return protocol.aws_json_error(error)

    async def _s3(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._throttles("s3", scope["method"]):
            response = protocol.s3_error("SlowDown", "Please reduce your request rate.", 503)
            await response(scope, receive, send)
            return
        await self.s3(scope, receive, send)

    async def _sqs(self, scope: Scope, receive: Receive, send: Send) -> None:
        target = dict(scope["headers"]).get(b"x-amz-target", b"").decode(errors="replace")
        self.calls[f"sqs:{target.removeprefix(JSON_TARGET_PREFIX) or 'query'}"] += 1
        await self.sqs(scope, receive, send)

    async def shutdown(self) -> None:
        await self.scheduler.shutdown([job for job in self.jobs.jobs.values() if not job.is_final])
        if self.state is not None:
            self.state.close()
