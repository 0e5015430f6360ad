"""A stand-in for the `nextflow` launcher in the service's tests: Nextflow cannot run here.

Called as the Nextflow head job calls Nextflow (`run MAIN -c CONFIG -params-file PARAMS
-profile awsbatch -name NAME`), it checks that the staged files are where the command says,
publishes a summary to the run's outdir, writes a .nextflow.log, and posts a recorded nf-weblog
sequence (FAKE_NEXTFLOW_EVENTS) to the weblog URL in the run's config under this run's name,
one event after another as nf-weblog does. It exits with FAKE_NEXTFLOW_EXIT.
"""

import json
import os
import re
import sys
from pathlib import Path

import boto3
import httpx


def option(arguments: list[str], name: str) -> str:
    return arguments[arguments.index(name) + 1]


def main(arguments: list[str]) -> int:
    if arguments[0] != "run" or option(arguments, "-profile") != "awsbatch":
        raise SystemExit(f"fake nextflow: unexpected command {arguments}")
    main_script = Path(arguments[1])
    config = Path(option(arguments, "-c")).read_text()
    params = json.loads(Path(option(arguments, "-params-file")).read_text())
    name = option(arguments, "-name")
    if not (main_script.is_file() and (main_script.parent / "scripts").is_dir()):
        raise SystemExit(f"fake nextflow: {main_script} is not a staged pipeline")
    url = re.search(r"^    url = '(.+)'$", config, re.MULTILINE)
    if url is None:
        raise SystemExit("fake nextflow: the config has no weblog url")
    Path(".nextflow.log").write_text(f"fake nextflow ran {name}\n")
    bucket, _, key = params["outdir"].removeprefix("s3://").partition("/")
    summary = json.dumps({"samples": params.get("samples", [])}).encode()
    boto3.client("s3").put_object(Bucket=bucket, Key=f"{key}/variants.json", Body=summary)
    with httpx.Client(timeout=10) as client:
        for line in Path(os.environ["FAKE_NEXTFLOW_EVENTS"]).read_text().splitlines():
            client.post(url.group(1), json={**json.loads(line), "runName": name}).raise_for_status()
    return int(os.environ.get("FAKE_NEXTFLOW_EXIT", "0"))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
