"""Snakemake imports every executor plugin on every start, even `snakemake --version`."""

import subprocess
import sys

HEAVY = ("boto3", "botocore", "tenacity", "fastapi", "pydantic_settings", "moto")


def test_importing_the_plugin_loads_no_aws_sdk_and_no_server() -> None:
    script = (
        "import sys, snakemake_executor_plugin_batchflow\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    ).stdout.strip()

    assert loaded == "[]"
