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

from batchflow_infra.stack import BatchflowStack  # noqa: E402 - needs the path above


def context_from_cdk_json() -> dict[str, object]:
    return json.loads((HERE / "cdk.json").read_text()).get("context", {})


def build(app: cdk.App) -> BatchflowStack:
    def number(key: str) -> int:
        value = app.node.try_get_context(key)
        try:
            return int(value)
        except (TypeError, ValueError):
            raise SystemExit(f"context {key} must be a whole number, got {value!r}") from None

    return BatchflowStack(
        app,
        "Batchflow",
        nat_gateways=number("natGateways"),
        image_tag=str(app.node.try_get_context("imageTag")),
        certificate_arn=app.node.try_get_context("certificateArn") or None,
        public_service=str(app.node.try_get_context("publicService")).lower() == "true",
        work_expiry_days=number("workExpiryDays"),
        max_vcpus=number("maxVcpus"),
        description="batchflow: Snakemake workflows on AWS Batch",
    )


if __name__ == "__main__":
    app = cdk.App(context=context_from_cdk_json())
    build(app)
    app.synth()
