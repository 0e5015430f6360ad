"""GET /workflows and GET /workflows/{name}: the catalog as this service can run it, each
workflow with the JSON Schema of its params; and the demo's schema says what the mock engine
accepts."""

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from batchflow_service.app import create_app
from batchflow_service.catalog import Catalog
from batchflow_service.engines.mock import MockParams
from batchflow_service.settings import CATALOG, Settings

from .clients import add_user, admin_client

DEMO_SCHEMA = Catalog(CATALOG).get("demo").params_schema
assert DEMO_SCHEMA is not None, "workflows/demo/config.schema.yaml is missing"


def catalog_client(engines: list[str], catalog: Path = CATALOG) -> Iterator[TestClient]:
    with admin_client(create_app(Settings(engines=engines, catalog_dir=catalog))) as client:
        yield client


@pytest.fixture
def mock_only() -> Iterator[TestClient]:
    yield from catalog_client(["mock"])


@pytest.fixture
def snakemake_and_mock(aws_environment) -> Iterator[TestClient]:
    yield from catalog_client(["mock", "snakemake"])


def listed(client: TestClient, **headers: str) -> dict[str, dict[str, Any]]:
    answer = client.get("/workflows", headers=headers)
    assert answer.status_code == 200, answer.text
    return {workflow["name"]: workflow for workflow in answer.json()["workflows"]}


def test_the_catalog_lists_only_workflows_an_enabled_engine_runs(mock_only) -> None:
    assert list(listed(mock_only)) == ["demo"]


def test_each_workflow_lists_only_the_engines_this_service_runs(snakemake_and_mock) -> None:
    workflows = listed(snakemake_and_mock)

    assert set(workflows) == {"demo", "msa", "quickstart", "variant-calling"}
    assert workflows["variant-calling"]["engines"] == ["snakemake"]
    assert workflows["variant-calling"]["tools"] == ["bwa", "samtools", "bcftools", "fastqc"]
    assert workflows["demo"]["engines"] == ["mock"]


def test_each_workflow_carries_its_params_schema(snakemake_and_mock) -> None:
    workflows = listed(snakemake_and_mock)

    assert workflows["demo"]["params_schema"] == DEMO_SCHEMA
    quickstart = Catalog(CATALOG).get("quickstart").params_schema
    assert workflows["quickstart"]["params_schema"] == quickstart
    assert "samples" in quickstart["properties"]


def test_every_role_may_read_the_catalog_but_not_without_a_token(mock_only) -> None:
    viewer = add_user(mock_only, "vera", "viewer")
    launcher = add_user(mock_only, "lena", "launcher")

    assert list(listed(mock_only, **viewer)) == list(listed(mock_only, **launcher)) == ["demo"]
    for path in ("/workflows", "/workflows/demo"):
        anonymous = mock_only.get(path, headers={"Authorization": ""})
        assert anonymous.status_code == 401, path
        assert anonymous.headers["www-authenticate"] == "Bearer"


def test_one_workflow_is_shown_with_its_schema(mock_only) -> None:
    answer = mock_only.get("/workflows/demo")

    assert answer.status_code == 200
    assert answer.json()["engines"] == ["mock"]
    assert answer.json()["params_schema"] == DEMO_SCHEMA


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("no-such-workflow", "'no-such-workflow' is not in the catalog"),
        ("quickstart", "'quickstart' needs an engine this service does not run"),
        ("%2E%2E", "is not in the catalog"),  # ..
    ],
)
def test_a_workflow_not_in_the_catalog_or_not_runnable_here_is_404(
    mock_only, name, message
) -> None:
    answer = mock_only.get(f"/workflows/{name}")

    assert answer.status_code == 404
    assert message in answer.json()["msg"]


def test_a_broken_catalog_entry_is_left_out_and_named_when_asked_for(tmp_path) -> None:
    shutil.copytree(CATALOG / "demo", tmp_path / "demo")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "workflow.yaml").write_text("engines: [mock]\n")  # no description

    for client in catalog_client(["mock"], tmp_path):
        assert list(listed(client)) == ["demo"]
        answer = client.get("/workflows/broken")
        assert answer.status_code == 404
        assert "the catalog entry 'broken' is broken" in answer.json()["msg"]


# The dashboard builds the demo's launch form from its schema, and the mock engine checks the
# params with MockParams: a value the form allows must never be refused by the engine, and
# the limits and defaults the form shows must be the engine's.


def mock_accepts(params: dict[str, Any]) -> bool:
    try:
        accepted = MockParams.model_validate(params)
    except ValidationError:
        return False
    return all(getattr(accepted, name) == value for name, value in params.items())


def schema_accepts(params: dict[str, Any]) -> bool:
    return jsonschema.Draft202012Validator(DEMO_SCHEMA).is_valid(params)


def test_the_demo_schema_names_the_mock_engines_params_limits_and_defaults() -> None:
    engine = MockParams.model_json_schema()

    assert DEMO_SCHEMA["additionalProperties"] is False
    assert set(DEMO_SCHEMA["properties"]) == set(engine["properties"])
    for name, field in MockParams.model_fields.items():
        shown, checked = DEMO_SCHEMA["properties"][name], engine["properties"][name]
        assert shown.get("minimum") == checked.get("minimum"), name
        assert shown.get("maximum") == checked.get("maximum"), name
        assert shown.get("default") == field.default, name
        types = [checked.get("type")] + [option["type"] for option in checked.get("anyOf", [])]
        assert shown["type"] in types, name


# Each field's limits, either side of them, and values of the wrong kind.
NUMBERS = [-1, -0.5, 0, 0.0, 0.25, 1, 1.0, 1.5, 2, 3, 49, 50, 50.5, 51, 59.5, 60, 60.5, 61, 2**63]
OTHER_VALUES = [None, True, False, "3", "x", [1], {"a": 1}]


@pytest.mark.parametrize("name", list(MockParams.model_fields))
@pytest.mark.parametrize("value", NUMBERS)
def test_for_numbers_the_demo_schema_and_the_mock_engine_agree(name, value) -> None:
    assert schema_accepts({name: value}) == mock_accepts({name: value})


@pytest.mark.parametrize("name", list(MockParams.model_fields))
@pytest.mark.parametrize("value", OTHER_VALUES)
def test_whatever_the_demo_schema_accepts_the_mock_engine_runs_as_given(name, value) -> None:
    if schema_accepts({name: value}):
        assert mock_accepts({name: value})


def test_a_param_the_mock_engine_does_not_know_is_refused_by_both() -> None:
    assert not schema_accepts({"threads": 2})
    assert not mock_accepts({"threads": 2})
