"""`batchflow head` (hidden): one run's Snakemake, inside the Batch head job the service submits."""

from typing import Annotated

import typer


def head(
    prefix: Annotated[str, typer.Option(help="The run's s3:// prefix.")],
    storage_prefix: Annotated[
        str, typer.Option(help="The s3:// prefix Snakemake keeps the run's files under.")
    ],
    run_id: Annotated[str, typer.Option(help="The run's id.")],
    task_queue: Annotated[str, typer.Option(help="Job queue for rule jobs.")],
    task_image: Annotated[str, typer.Option(help="Image for rule jobs.")],
    jobs: Annotated[int, typer.Option(min=1, help="Rule jobs in flight at once.")] = 20,
    spot_retries: Annotated[
        int, typer.Option(min=0, max=9, help="Reruns of a rule job's attempt lost to Spot.")
    ] = 3,
    snakefile: Annotated[str, typer.Option(help="The Snakefile, relative to the workflow.")] = (
        "Snakefile"
    ),
    task_role: Annotated[str | None, typer.Option(help="IAM role ARN for rule jobs.")] = None,
    execution_role: Annotated[str | None, typer.Option(help="ECS execution role ARN.")] = None,
) -> None:
    """Run one workflow run's Snakemake inside a Batch head job (used by the service)."""
    from batchflow_service.engines.snakemake.head import HeadJob, run_head

    job = HeadJob(
        prefix=prefix,
        storage_prefix=storage_prefix,
        run_id=run_id,
        task_queue=task_queue,
        task_image=task_image,
        jobs=jobs,
        spot_retries=spot_retries,
        snakefile=snakefile,
        task_role=task_role,
        execution_role=execution_role,
    )
    raise typer.Exit(run_head(job))
