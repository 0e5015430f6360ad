"""The AWS wire protocols the local AWS speaks: Batch's restJson1 and Logs' awsJson1.1.

Routes and input shapes come from botocore's own service models, so a request botocore
would send is understood, and one it would refuse is refused the same way.
"""

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import parse_qs, unquote
from xml.sax.saxutils import escape

import botocore.session
from botocore.model import OperationModel, ServiceModel
from botocore.validate import ParamValidator
from starlette.responses import JSONResponse, Response

from .errors import AwsError

MAX_BODY_BYTES = 2 * 1024 * 1024
LOGS_TARGET_PREFIX = "Logs_20140328."


@cache
def service_model(service: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(service)


@dataclass(frozen=True)
class RestRoute:
    method: str
    pattern: re.Pattern[str]
    operation: OperationModel


@cache
def batch_routes() -> tuple[RestRoute, ...]:
    model = service_model("batch")
    routes = []
    for name in model.operation_names:
        operation = model.operation_model(name)
        template = operation.http["requestUri"].split("?")[0]
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
        routes.append(RestRoute(operation.http["method"], re.compile(f"^{regex}$"), operation))
    return tuple(routes)


def match_batch_route(method: str, raw_path: str) -> tuple[OperationModel, dict[str, str]]:
    for route in batch_routes():
        found = route.pattern.match(raw_path)
        if found and route.method == method:
            return route.operation, {k: unquote(v) for k, v in found.groupdict().items()}
    raise AwsError("UnknownOperationException", f"No Batch operation at {method} {raw_path}", 404)


def logs_operation(target: str) -> OperationModel:
    name = target.removeprefix(LOGS_TARGET_PREFIX)
    model = service_model("logs")
    if name not in model.operation_names:
        raise AwsError("UnknownOperationException", f"Unknown CloudWatch Logs operation {name!r}")
    return model.operation_model(name)


def parse_json_body(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise AwsError(
            "SerializationException", f"Request body is not valid JSON: {error}"
        ) from None
    if not isinstance(parsed, dict):
        raise AwsError("SerializationException", "Request body must be a JSON object")
    return parsed


def request_parameters(
    operation: OperationModel, body: dict[str, Any], labels: Mapping[str, str], query: str
) -> dict[str, Any]:
    """The operation's input: JSON body members plus those bound to the URI and query string."""
    params = dict(body)
    shape = operation.input_shape
    if shape is None:
        return params
    queries = parse_qs(query)
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire_name = member.serialization.get("name", name)
        if location == "uri" and wire_name in labels:
            params[name] = labels[wire_name]
        elif location == "querystring" and wire_name in queries:
            values = queries[wire_name]
            params[name] = values if member.type_name == "list" else values[0]
    return params


def validate(operation: OperationModel, params: dict[str, Any], error_code: str) -> None:
    if operation.input_shape is None:
        return
    report = ParamValidator().validate(params, operation.input_shape)
    if report.has_errors():
        raise AwsError(error_code, report.generate_report())


def rest_json_error(error: AwsError) -> Response:
    return JSONResponse(
        {"message": error.message}, error.status, headers={"x-amzn-ErrorType": error.code}
    )


def aws_json_error(error: AwsError) -> Response:
    return JSONResponse(
        {"__type": error.code, "message": error.message},
        error.status,
        media_type="application/x-amz-json-1.1",
    )


def aws_json_response(result: dict[str, Any]) -> Response:
    return JSONResponse(result, media_type="application/x-amz-json-1.1")


def s3_error(code: str, message: str, status: int) -> Response:
    body = (
        "<?xml version='1.0' encoding='UTF-8'?>"
        f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
    )
    return Response(body, status, media_type="application/xml")
