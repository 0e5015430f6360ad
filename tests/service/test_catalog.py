"""The workflow catalog: manifests, parameter schemas, and bad parameters refused up front."""

from pathlib import Path

import jsonschema
import pytest

from batchflow_service.app import create_app
from batchflow_service.catalog import Catalog, CatalogError
from batchflow_service.settings import CATALOG, Settings

from .clients import admin_client


def test_the_shipped_catalog_lists_every_workflow_with_a_valid_schema() -> None:
    workflows = {workflow.name: workflow for workflow in Catalog(CATALOG).workflows()}

    assert set(workflows) == {"demo", "msa", "quickstart", "variant-calling"}
    assert workflows["demo"].engines == ["mock"]
    assert "nextflow" in workflows["variant-calling"].engines
    for workflow in workflows.values():
        if workflow.params_schema is not None:
            jsonschema.validators.validator_for(workflow.params_schema).check_schema(
                workflow.params_schema
            )


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"samples": ["ok", "no spaces"]}, "params['samples'][1]: 'no spaces' does not match"),
        ({"samples": []}, "params['samples']: [] should be non-empty"),
        ({"snps": 0}, "params['snps']: 0 is less than the minimum of 1"),
        ({"reads": "many"}, "params['reads']: 'many' is not of type 'integer'"),
        ({"threads": 4}, "Additional properties are not allowed ('threads' was unexpected)"),
    ],
)
def test_bad_params_are_refused_naming_the_field(params, message) -> None:
    with pytest.raises(CatalogError) as caught:
        Catalog(CATALOG).get("variant-calling").check_params(params)

    assert message in str(caught.value)


def test_good_params_and_defaults_pass() -> None:
    Catalog(CATALOG).get("variant-calling").check_params({})
    Catalog(CATALOG).get("msa").check_params(
        {
            "sequences": [
                {"id": "a", "species": 1, "start": 1, "end": 100},
                {"id": "b", "species": 2, "start": 1, "end": 100},
            ]
        },
    )


def test_an_unknown_workflow_and_a_broken_manifest_are_named(tmp_path: Path) -> None:
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "workflow.yaml").write_text("engines: [perl]\n")

    with pytest.raises(CatalogError, match="'nope' is not in the catalog"):
        Catalog(tmp_path).get("nope")
    with pytest.raises(CatalogError, match="the catalog entry 'broken' is broken"):
        Catalog(tmp_path).get("broken")


def test_the_api_refuses_bad_params_with_400_before_launching(aws_environment) -> None:
    with admin_client(create_app(Settings(engines=["snakemake"]))) as client:
        response = client.post("/runs", json={"workflow": "msa", "params": {"species": 1000}})
        after = client.get("/runs", params={"page_size": 500}).json()["runs"]

    assert response.status_code == 400
    assert "params['species']: 1000 is greater than the maximum of 50" in response.json()["msg"]
    # Runs of earlier tests come back from their records in the shared bucket, in the
    # background; none is the refused one.
    assert [run for run in after if run["params"] == {"species": 1000}] == []


def test_the_demo_picks_an_engine_that_runs_here_and_names_missing_tools(tmp_path) -> None:
    from batchflow_cli.demo import DemoError, choose_engine

    for name, manifest in {
        "both": "description: x\nengines: [nextflow, snakemake]\n",
        "nf-only": "description: x\nengines: [nextflow]\n",
        "needs-tools": "description: x\nengines: [snakemake]\ntools: [sh, no-such-tool-xyz]\n",
    }.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "workflow.yaml").write_text(manifest)
    settings = Settings(catalog_dir=tmp_path)

    assert choose_engine("both", settings) == "snakemake"
    assert choose_engine("demo", Settings()) == "mock"
    with pytest.raises(DemoError, match="runs only with nextflow"):
        choose_engine("nf-only", settings)
    with pytest.raises(DemoError, match=r"apt-get install no-such-tool-xyz$"):
        choose_engine("needs-tools", settings)
