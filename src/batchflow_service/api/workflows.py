"""GET /workflows: the catalog, as far as this service's engines run it."""

import logging

from fastapi import APIRouter, HTTPException

from ..catalog import Catalog, CatalogError, Workflow
from ..models import CatalogPage, CatalogWorkflow, ErrorResponse
from ..settings import Settings
from .deps import CurrentUser, SettingsDep
from .storable_input import StorableInputRoute

log = logging.getLogger(__name__)
router = APIRouter(
    prefix="/workflows",
    tags=["workflows"],
    route_class=StorableInputRoute,
    responses={401: {"model": ErrorResponse, "description": "No valid bearer token"}},
)


def runnable(workflow: Workflow, settings: Settings) -> CatalogWorkflow | None:
    """The workflow as a client may launch it here: only the engines this service runs."""
    engines = [engine for engine in workflow.engines if engine in settings.engines]
    if not engines:
        return None
    return CatalogWorkflow(
        name=workflow.name,
        description=workflow.description,
        engines=engines,
        tools=workflow.tools,
        params_schema=workflow.params_schema,
    )


# Plain functions: FastAPI runs them in its thread pool, off the event loop, as they read YAML.
@router.get("")
def list_workflows(caller: CurrentUser, settings: SettingsDep) -> CatalogPage:
    """The catalog workflows this service can run, each with the JSON Schema of its params
    (the form a client builds to launch it). A broken catalog entry is left out."""
    catalog = Catalog(settings.catalog_dir)
    listed = []
    for name in catalog.names():
        try:
            workflow = runnable(catalog.get(name), settings)
        except CatalogError as error:
            log.warning("left out of GET /workflows: %s", error)
            continue
        if workflow is not None:
            listed.append(workflow)
    return CatalogPage(workflows=listed)


@router.get(
    "/{name}", responses={404: {"model": ErrorResponse, "description": "Not in the catalog"}}
)
def get_workflow(name: str, caller: CurrentUser, settings: SettingsDep) -> CatalogWorkflow:
    try:
        workflow = runnable(Catalog(settings.catalog_dir).get(name), settings)
    except CatalogError as error:
        raise HTTPException(404, str(error)) from None
    if workflow is None:
        raise HTTPException(404, f"workflow {name!r} needs an engine this service does not run")
    return workflow
