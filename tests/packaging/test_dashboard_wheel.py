"""The wheel carries the built dashboard as batchflow_service/dashboard when npm is on PATH
(hatch_build.py builds frontend/), and builds without it when npm is not.

Both build a copy of the checkout, never the checkout itself: the build writes frontend/dist."""

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
FRONTEND = REPOSITORY / "frontend"
DASHBOARD = "batchflow_service/dashboard/"
GIT = shutil.which("git") or "git"
PIP_WHEEL = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check"]


def copy_of_the_checkout(destination: Path) -> Path:
    """The checkout's files git knows of or would add (no node_modules, no dist), with their
    modification times, which the build hook compares."""
    listed = subprocess.run(
        [GIT, "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPOSITORY,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPOSITORY / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name, follow_symlinks=False)
    return destination


def share_installed_packages(frontend: Path) -> None:
    """The checkout's frontend/node_modules, package by package (symlinks), when it is up to
    date with package-lock.json, so the copy's build needs no `npm ci`; the build's own caches
    stay in the copy."""
    installed = FRONTEND / "node_modules"
    record = installed / ".package-lock.json"
    lock = FRONTEND / "package-lock.json"
    if not record.is_file() or record.stat().st_mtime < lock.stat().st_mtime:
        return  # the hook runs `npm ci` in the copy, into a folder of its own
    (frontend / "node_modules").mkdir()
    for entry in installed.iterdir():
        if entry.name in (".package-lock.json", ".tmp", ".vite", ".vite-temp", ".cache"):
            continue
        (frontend / "node_modules" / entry.name).symlink_to(entry)
    shutil.copy2(record, frontend / "node_modules" / ".package-lock.json")


def build_wheel(source: Path, out: Path, path: str) -> tuple[zipfile.ZipFile, str]:
    """`pip wheel` of `source` with PATH set to `path`; the wheel, and pip's output."""
    built = subprocess.run(
        [*PIP_WHEEL, "-v", "-w", str(out), str(source)],
        env={**os.environ, "PATH": path},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stdout[-4000:] + built.stderr[-4000:]
    wheel = next(out.glob("*.whl"))
    return zipfile.ZipFile(wheel), built.stdout + built.stderr


@pytest.mark.slow
def test_the_wheel_carries_the_dashboard_built_from_frontend(tmp_path: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not on PATH: the dashboard cannot be built into a wheel here")
    source = copy_of_the_checkout(tmp_path / "checkout")
    share_installed_packages(source / "frontend")

    wheel, output = build_wheel(source, tmp_path / "wheels", os.environ["PATH"])

    names = wheel.namelist()
    assert f"{DASHBOARD}index.html" in names, output[-3000:]
    index = wheel.read(f"{DASHBOARD}index.html").decode()
    referenced = re.findall(r'"/ui/(assets/[^"]+)"', index)
    assert any(asset.endswith(".js") for asset in referenced), index
    for asset in referenced:
        assert f"{DASHBOARD}{asset}" in names, (asset, names)
    assert not any("node_modules" in name for name in names)


def test_without_npm_the_wheel_builds_without_the_dashboard(tmp_path: Path) -> None:
    source = copy_of_the_checkout(tmp_path / "checkout")
    assert not (source / "frontend" / "dist").exists()
    python_only = str(Path(sys.executable).parent)
    assert shutil.which("npm", path=python_only) is None

    wheel, output = build_wheel(source, tmp_path / "wheels", python_only)

    names = wheel.namelist()
    assert not any(name.startswith(DASHBOARD) for name in names)
    assert "batchflow_service/app.py" in names
    assert "batchflow_service/workflows/demo/config.schema.yaml" in names
    assert "Node.js or npm is not on PATH" in output


def test_a_build_older_than_its_sources_is_left_out_of_the_wheel(tmp_path: Path) -> None:
    source = copy_of_the_checkout(tmp_path / "checkout")
    old_build = source / "frontend" / "dist" / "index.html"
    old_build.parent.mkdir()
    old_build.write_text("<!doctype html><title>an old build</title>")
    os.utime(old_build, (0, 0))
    python_only = str(Path(sys.executable).parent)

    wheel, _ = build_wheel(source, tmp_path / "wheels", python_only)

    assert not any(name.startswith(DASHBOARD) for name in wheel.namelist())
