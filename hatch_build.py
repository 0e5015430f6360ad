"""Builds the dashboard (frontend/, TypeScript and React) into frontend/dist when Node.js 20.19+
and npm are on PATH: an editable install serves it from there, and a wheel carries it inside
batchflow_service. Without them the package installs with no dashboard, and the service's /ui/
says how to build it."""

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

OUTSIDE_THE_SOURCES = ("node_modules", "dist")
SKIP_VARIABLE = "BATCHFLOW_SKIP_DASHBOARD"
OLDEST_NODE = (20, 19)


class DashboardBuildHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        frontend = Path(self.root) / "frontend"
        if self.target_name != "wheel" or not (frontend / "package.json").is_file():
            return
        unable = why_not_buildable()
        if unable:
            self.app.display_warning(
                f"{unable}: installing without the dashboard (install Node.js 20.19+ and npm "
                "and reinstall, or run `npm ci && npm run build` in frontend/)"
            )
        else:
            build(frontend, self.app.display_info)
        if version == "standard" and not stale(frontend):
            build_data["force_include"][str(frontend / "dist")] = "batchflow_service/dashboard"


def why_not_buildable() -> str | None:
    if os.environ.get(SKIP_VARIABLE):
        return f"{SKIP_VARIABLE} is set"
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        return "Node.js or npm is not on PATH"
    found = subprocess.run([node, "--version"], capture_output=True, text=True, check=False)
    numbers = tuple(int(n) for n in re.findall(r"\d+", found.stdout)[:2])
    if numbers < OLDEST_NODE:
        return f"Node.js {found.stdout.strip() or '?'} is older than 20.19"
    return None


def build(frontend: Path, say: Callable[[str], None]) -> None:
    """`npm ci` when package-lock.json changed, then the Vite build when a source changed."""
    npm = shutil.which("npm") or "npm"
    modules = frontend / "node_modules" / ".package-lock.json"
    if _mtime(frontend / "package-lock.json") > _mtime(modules):
        say("dashboard: npm ci")
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=frontend, check=True)
    if stale(frontend):
        say("dashboard: npm run build")
        subprocess.run([npm, "run", "build"], cwd=frontend, check=True)
    else:
        say("dashboard: frontend/dist is up to date")


def stale(frontend: Path) -> bool:
    """No build, or a source newer than it."""
    sources = [path for path in frontend.iterdir() if path.name not in OUTSIDE_THE_SOURCES]
    return max(_newest(path) for path in sources) > _mtime(frontend / "dist" / "index.html")


def _mtime(path: Path) -> float:
    return path.stat().st_mtime if path.exists() else 0.0


def _newest(path: Path) -> float:
    if not path.is_dir():
        return _mtime(path)
    return max((_mtime(file) for file in path.rglob("*") if file.is_file()), default=0.0)
