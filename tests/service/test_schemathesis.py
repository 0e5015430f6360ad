"""Property-based conformance: the service's own OpenAPI, and the official WES 1.1 spec."""

import asyncio
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from batchflow_service.app import create_app
from batchflow_service.auth.bootstrap import ensure_admin
from batchflow_service.settings import Settings

from .clients import ADMIN_PASSWORD

WES_SPEC = Path(__file__).with_name("ga4gh-wes-1.1.0.openapi.yaml")
EXAMPLES = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

app = create_app(
    Settings(
        engines=["mock"],
        max_request_bytes=256 * 1024,
        admin_password=ADMIN_PASSWORD,
        allowed_hosts=["testserver"],
    )
)


async def admin_token() -> str:
    """What the app's startup would do, then a session token for user admin."""
    await app.state.auth.start()
    await ensure_admin(app.state.store, ADMIN_PASSWORD)
    return app.state.auth.sessions.issue("admin")


AS_ADMIN = {"Authorization": f"Bearer {asyncio.run(admin_token())}"}
native = schemathesis.openapi.from_asgi("/openapi.json", app)


@native.parametrize()
@EXAMPLES
def test_native_api_answers_as_its_openapi_says(case) -> None:
    # A schema-valid run request can still name a workflow or engine this service lacks,
    # which is a 400: acceptance of every schema-valid request is not a property it has.
    case.call_and_validate(headers=AS_ADMIN, excluded_checks=[positive_data_acceptance])


wes = schemathesis.openapi.from_path(WES_SPEC)
wes.app = app


@wes.parametrize()
@EXAMPLES
def test_wes_routes_answer_as_the_ga4gh_spec_says(case) -> None:
    # The spec's form has no required fields, so a form the service refuses (400) is
    # still "valid" to it: positive_data_acceptance cannot hold for RunWorkflow.
    case.call_and_validate(
        base_url="http://testserver/ga4gh/wes/v1",
        headers=AS_ADMIN,
        excluded_checks=[positive_data_acceptance],
    )
