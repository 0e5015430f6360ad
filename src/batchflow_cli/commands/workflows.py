"""`batchflow workflows`: the catalog this installation serves."""

import json

import typer

from ..options import JsonOutput


def workflows(json_output: JsonOutput = False) -> None:
    """List the catalog's workflows: their engines, the tools their jobs need, their params."""
    from batchflow_service.catalog import Catalog
    from batchflow_service.settings import Settings

    catalog = Catalog(Settings().catalog_dir).workflows()
    if json_output:
        typer.echo(json.dumps([workflow.model_dump(mode="json") for workflow in catalog], indent=2))
        return
    for workflow in catalog:
        params = ", ".join((workflow.params_schema or {}).get("properties", {})) or "-"
        typer.echo(f"{workflow.name}  (engines: {', '.join(workflow.engines)})")
        typer.echo(f"    {workflow.description}")
        typer.echo(f"    params: {params}; tools: {', '.join(workflow.tools) or '-'}")
