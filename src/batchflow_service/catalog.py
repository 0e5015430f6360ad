"""The workflow catalog: the folders of `workflows/`, each described by its `workflow.yaml`.

A manifest says what the workflow does, which engines run it and which tools its jobs need
on PATH; a `config.schema.yaml` (JSON Schema, the file Snakemake's `validate` reads) says
which parameters it takes, so a bad parameter is refused before anything is launched.
"""

from pathlib import Path
from typing import Any, Literal

import jsonschema
import yaml
from pydantic import BaseModel, Field, ValidationError

MANIFEST = "workflow.yaml"
PARAMS_SCHEMA = "config.schema.yaml"
INSTALLED_CATALOG = Path(__file__).resolve().parent / "workflows"
CHECKOUT_CATALOG = Path(__file__).resolve().parents[2] / "workflows"


def default_catalog_dir() -> Path:
    """The catalog a wheel carries inside this package, else the checkout's `workflows/` (an
    editable install)."""
    return INSTALLED_CATALOG if INSTALLED_CATALOG.is_dir() else CHECKOUT_CATALOG


class CatalogError(ValueError):
    """A workflow that is not in the catalog, or parameters it does not take."""


class Workflow(BaseModel):
    name: str
    folder: Path
    description: str
    engines: list[Literal["snakemake", "nextflow", "mock"]] = Field(min_length=1)
    tools: list[str] = Field(default_factory=list, description="Programs its jobs call")
    params_schema: dict[str, Any] | None = None

    def check_params(self, params: dict[str, Any]) -> None:
        """Raises CatalogError naming the first parameter the schema refuses."""
        if self.params_schema is None:
            return
        validator = jsonschema.validators.validator_for(self.params_schema)(self.params_schema)
        error = jsonschema.exceptions.best_match(validator.iter_errors(params))
        if error is not None:
            where = "params" + "".join(f"[{part!r}]" for part in error.absolute_path)
            raise CatalogError(f"{where}: {error.message[:300]}")


class Catalog:
    def __init__(self, folder: Path) -> None:
        self.folder = folder.resolve()

    def names(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return sorted(p.name for p in self.folder.iterdir() if (p / MANIFEST).is_file())

    def workflows(self) -> list[Workflow]:
        return [self.get(name) for name in self.names()]

    def get(self, name: str) -> Workflow:
        if name not in self.names():
            raise CatalogError(
                f"workflow {name[:100]!r} is not in the catalog "
                f"(available: {', '.join(self.names())}); URLs are not fetched"
            )
        return _load(self.folder / name)


def _load(folder: Path) -> Workflow:
    try:
        manifest = yaml.safe_load((folder / MANIFEST).read_text()) or {}
        schema_file = folder / PARAMS_SCHEMA
        schema = yaml.safe_load(schema_file.read_text()) if schema_file.is_file() else None
        return Workflow(name=folder.name, folder=folder, params_schema=schema, **manifest)
    except (yaml.YAMLError, ValidationError, TypeError) as error:
        raise CatalogError(f"the catalog entry {folder.name!r} is broken: {error}") from None
