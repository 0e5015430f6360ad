"""`batchflow demo` logs in to its own service by itself, and stores no token."""

import io
import os
from collections.abc import Iterator

import pytest
from rich.console import Console

from batchflow_cli.credentials import credentials_file
from batchflow_cli.demo import run_demo


@pytest.fixture
def environment_kept() -> Iterator[None]:
    """The demo points this process's AWS_* variables at its local AWS; put them back."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


def test_the_demo_runs_with_nothing_to_type_and_stores_no_token(environment_kept, tmp_path) -> None:
    console = Console(file=io.StringIO(), width=200)

    code = run_demo("demo", {"steps": 1, "delay_seconds": 0}, console, tmp_path / "results")

    shown = console.file.getvalue()
    assert code == 0, shown
    assert "Logged in as admin, with a password made for this demo" in shown
    assert "Run COMPLETE" in shown
    assert not credentials_file().exists()
