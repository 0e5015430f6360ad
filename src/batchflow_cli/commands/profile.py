"""`batchflow profile`: the Snakemake profile and nextflow.config for a deployed stack."""

from pathlib import Path
from typing import Annotated

import typer

from batchflow_service.version import installed_version

from ..exits import fail


def profile(
    stack_outputs: Annotated[
        Path, typer.Option(help="`cdk deploy --outputs-file` output, or a JSON name: value object.")
    ],
    directory: Annotated[
        Path, typer.Option(help="Where to write config.yaml and nextflow.config.")
    ] = Path("profiles/aws"),
    stack: Annotated[str | None, typer.Option(help="The stack, if the file holds several.")] = None,
    image_tag: Annotated[
        str, typer.Option(help="Tag of the task image in ECR (the stack's imageTag).")
    ] = installed_version(),
    jobs: Annotated[int, typer.Option(min=1, help="Jobs Snakemake keeps in flight.")] = 200,
) -> None:
    """Write the Snakemake profile and nextflow.config for a deployed batchflow stack."""
    from ..profiles import StackOutputsError, read_stack_outputs, write_profile

    try:
        outputs = read_stack_outputs(stack_outputs, stack)
    except StackOutputsError as error:
        fail(f"batchflow: {error}")
    for path in write_profile(outputs, directory, image_tag, jobs):
        typer.echo(f"wrote {path}")
