"""The dashboard in a real browser (Debian's chromium, driven by Playwright) against a real
`batchflow serve` process, with its own local AWS and the shipped catalog."""

import os
import signal
import socket
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, sync_playwright

from ..cli.serve_processes import serve_environment, start_serve
from ..prerequisites import missing
from ..service.clients import ADMIN_PASSWORD, bearer

DIST = Path(__file__).resolve().parents[2] / "frontend" / "dist"
CHROMIUM = os.environ.get("BATCHFLOW_CHROMIUM", "/usr/bin/chromium")
# Without the networking flags Chromium floods this machine's closed network (FACTS.md).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LAUNCHER = ("lena", "lena-password-123")
FAILED_LOAD = "Failed to load resource: the server responded with a status of"
SCREENSHOTS = os.environ.get("BATCHFLOW_SCREENSHOTS")
"""A folder to save the screenshots docs/dashboard.md shows; unset, they go to tmp."""


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="package")
def service_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`batchflow serve` on loopback: the mock and snakemake engines, the shipped catalog."""
    if not (DIST / "index.html").is_file():
        missing(
            f"{DIST} holds no built dashboard: `pip install -e .` builds it where npm is on "
            "PATH (tests/run.sh does), or run `npm ci && npm run build` in frontend/"
        )
    home = tmp_path_factory.mktemp("dashboard-serve")
    environment = serve_environment(home)
    del environment["BATCHFLOW_CATALOG_DIR"]
    environment["BATCHFLOW_ENGINES"] = '["mock", "snakemake"]'
    port = unused_port()
    process = start_serve(port, home / "state", environment, home / "serve.log")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="package")
def api(service_url: str) -> Iterator[httpx.Client]:
    """The service's API, as its admin."""
    with httpx.Client(base_url=service_url, timeout=30) as client:
        client.headers.update(token_headers(client, "admin", ADMIN_PASSWORD))
        answer = client.post(
            "/users", json={"name": LAUNCHER[0], "password": LAUNCHER[1], "role": "launcher"}
        )
        assert answer.status_code == 201, answer.text
        yield client


def token_headers(client: httpx.Client, name: str, password: str) -> dict[str, str]:
    answer = client.post("/auth/token", data={"username": name, "password": password})
    assert answer.status_code == 200, answer.text
    return bearer(answer.json()["access_token"])


# Package scope: while Playwright's sync API lives, an event loop runs in the main thread, and
# the other packages' tests call asyncio.run(), which refuses to run inside one.
@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).is_file():
        missing(f"the dashboard's browser tests drive {CHROMIUM}: apt-get install chromium")
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def refusals_expected() -> list[int]:
    """HTTP statuses a test expects the page to be answered: Chromium logs each 4xx or 5xx a
    page fetched as a console error of its own ("Failed to load resource ...")."""
    return []


@pytest.fixture
def page(browser: Browser, api: httpx.Client, refusals_expected: list[int]) -> Iterator[Page]:
    """A fresh browser context (nothing signed in); the test fails on any console error or
    uncaught exception the page had, but the refusals the test expects."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    page = context.new_page()
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        expected = (f"status of {status} " for status in refusals_expected)
        if message.type == "error" and not (
            message.text.startswith(FAILED_LOAD) and any(s in message.text for s in expected)
        ):
            problems.append(f"console error: {message.text} at {message.location}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    page.set_default_timeout(15_000)
    yield page
    context.close()
    assert not problems, "\n".join(problems)


@pytest.fixture
def sign_in(page: Page, service_url: str) -> Callable[..., Page]:
    def as_user(name: str = "admin", password: str = ADMIN_PASSWORD) -> Page:
        page.goto(f"{service_url}/ui/")
        page.get_by_label("Username").fill(name)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("button", name="Sign out").wait_for()
        return page

    return as_user


def screenshot(page: Page, name: str, tmp_path: Path, *, full_page: bool = False) -> Path:
    folder = Path(SCREENSHOTS) if SCREENSHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    page.screenshot(path=path, full_page=full_page)
    return path


def submit(api: httpx.Client, **request: Any) -> dict[str, Any]:
    answer = api.post("/runs", json=request)
    assert answer.status_code == 201, answer.text
    return answer.json()
