"""Synthesize the batchflow stack: `python infra/cdk/app.py` (no CDK CLI needed), or `cdk deploy`.

Plain `python app.py` does not read cdk.json's context, so it is merged here; `-c` values
given to the CDK CLI arrive through CDK_CONTEXT_JSON and win.
"""

import json
import sys
from pathlib import Path

import aws_cdk as cdk

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from batchflow_infra.stack import BatchflowStack, ConfigurationError  # noqa: E402 - path above


def context_from_cdk_json() -> dict[str, object]:
    return json.loads((HERE / "cdk.json").read_text()).get("context", {})


def build(app: cdk.App) -> BatchflowStack:
    """The stack, and with context `nag=true` the cdk-nag AwsSolutions checks at synth."""

    def number(key: str) -> int:
        value = app.node.try_get_context(key)
        try:
            return int(value)
        except (TypeError, ValueError):
            raise SystemExit(f"context {key} must be a whole number, got {value!r}") from None

    def flag(key: str) -> bool:
        return str(app.node.try_get_context(key)).lower() == "true"

    def text(key: str) -> str | None:
        value = str(app.node.try_get_context(key) or "").strip()
        return value or None

    try:
        return _with_checks(app, number, flag, text)
    except ConfigurationError as error:
        raise SystemExit(f"batchflow stack: {error}") from None


def _with_checks(app: cdk.App, number, flag, text) -> BatchflowStack:
    stack = BatchflowStack(
        app,
        "Batchflow",
        nat_gateways=number("natGateways"),
        image_tag=str(app.node.try_get_context("imageTag")),
        certificate_arn=text("certificateArn"),
        service_url=text("serviceUrl"),
        public_service=flag("publicService"),
        work_expiry_days=number("workExpiryDays"),
        max_vcpus=number("maxVcpus"),
        service_tasks=number("serviceTasks"),
        database=flag("database"),
        auth=text("auth"),
        cognito=flag("cognito"),
        oidc_issuer=text("oidcIssuer"),
        oidc_audience=text("oidcAudience"),
        description="batchflow: Snakemake workflows on AWS Batch",
    )
    if flag("nag"):
        from cdk_nag import AwsSolutionsChecks

        cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return stack


if __name__ == "__main__":
    app = cdk.App(context=context_from_cdk_json())
    build(app)
    app.synth()
