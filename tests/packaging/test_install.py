"""`pip install snakemake-executor-plugin-batchflow` gives the plugin and nothing of the server."""

import subprocess
import venv
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def test_the_plain_install_brings_the_plugin_and_nothing_of_the_server(tmp_path: Path) -> None:
    venv.create(tmp_path / "venv", with_pip=True)
    python = tmp_path / "venv" / "bin" / "python"
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", REPOSITORY],
        check=True,
        timeout=600,
    )

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            args, cwd=tmp_path, capture_output=True, text=True, check=False, timeout=120
        )

    plugin = run(str(python), "-c", "import snakemake_executor_plugin_batchflow")
    server = run(str(python), "-c", "import fastapi")
    command = run(str(tmp_path / "venv" / "bin" / "batchflow"), "--version")

    assert plugin.returncode == 0, plugin.stderr
    assert server.returncode != 0
    assert "No module named 'fastapi'" in server.stderr
    assert command.returncode == 1
    assert "pip install 'snakemake-executor-plugin-batchflow[server]'" in command.stderr
