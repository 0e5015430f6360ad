"""Launching, watching, cancelling and resuming runs from the dashboard."""

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from ..service.serving import FINAL, wait_for
from .conftest import LAUNCHER, screenshot, submit

RUN_PAGE = re.compile(r"/ui/runs/([0-9a-f]+)$")


def run_id_of(page: Page) -> str:
    expect(page).to_have_url(RUN_PAGE)
    match = RUN_PAGE.search(page.url)
    assert match is not None
    return match.group(1)


def test_the_demo_launched_from_its_form_completes_with_its_tasks_and_timeline(
    sign_in, api, tmp_path: Path
) -> None:
    page = sign_in()
    page.get_by_role("link", name="New run").click()
    page.get_by_label("Workflow").select_option("demo")
    page.get_by_label("Run name").fill("dashboard-demo")
    page.get_by_label("steps", exact=False).fill("4")
    page.get_by_role("button", name="Launch").click()

    run_id = run_id_of(page)
    expect(page.get_by_role("status", name="Run state")).to_have_text("COMPLETE", timeout=60_000)
    tasks = page.get_by_role("table", name="Tasks").locator("tbody tr")
    expect(tasks).to_have_count(4)
    bars = page.get_by_role("img", name="Timeline").locator("rect[data-state]")
    expect(bars).not_to_have_count(0)
    expect(page.get_by_label("Run log")).to_contain_text("mock run with 4 steps")
    run = api.get(f"/runs/{run_id}").json()
    assert (run["name"], run["params"]["steps"], run["state"]) == ("dashboard-demo", 4, "COMPLETE")
    screenshot(page, "dashboard-run.png", tmp_path, full_page=True)


def test_the_runs_list_shows_each_run_with_its_state_as_text(sign_in, api, tmp_path) -> None:
    tags = {"batch": "list-check"}
    quick = {"steps": 1, "delay_seconds": 0}
    failing = {"steps": 2, "delay_seconds": 0, "failure_rate": 1}
    slow = {"steps": 20, "delay_seconds": 3}
    finished = submit(api, workflow="demo", engine="mock", name="short", tags=tags, params=quick)
    failed = submit(api, workflow="demo", engine="mock", name="flaky", tags=tags, params=failing)
    running = submit(api, workflow="demo", engine="mock", name="long", tags=tags, params=slow)
    for run_id in (finished["id"], failed["id"]):
        wait_for(lambda run_id=run_id: api.get(f"/runs/{run_id}").json(), ended)
    page = sign_in()

    page.get_by_label("Tag filter").fill("batch:list-check")

    rows = page.get_by_role("table", name="Runs").locator("tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.filter(has_text="short")).to_contain_text("COMPLETE")
    expect(rows.filter(has_text="flaky")).to_contain_text("EXECUTOR_ERROR")
    expect(rows.filter(has_text="long")).to_contain_text("RUNNING")
    screenshot(page, "dashboard-runs.png", tmp_path)
    api.post(f"/runs/{running['id']}/cancel")


def ended(run: dict) -> bool:
    return run["state"] in FINAL


def test_a_snakemake_run_from_the_catalog_offers_its_results_for_download(
    sign_in, api, tmp_path: Path
) -> None:
    page = sign_in()
    page.get_by_role("link", name="New run").click()
    page.get_by_label("Workflow").select_option("quickstart")
    page.get_by_label("length", exact=False).fill("500")
    page.get_by_role("button", name="Launch").click()

    run_id = run_id_of(page)
    expect(page.get_by_role("status", name="Run state")).to_have_text("COMPLETE", timeout=240_000)
    results = page.get_by_role("list", name="Results")
    with page.expect_download() as download:
        results.get_by_role("button", name="results/summary.json").click()
    saved = tmp_path / "summary.json"
    download.value.save_as(saved)

    expected = api.get(f"/runs/{run_id}/outputs/results/summary.json")
    assert expected.status_code == 200
    assert saved.read_bytes() == expected.content
    assert download.value.suggested_filename == "summary.json"


def test_a_running_run_is_canceled_from_its_page(sign_in, api, service_url: str) -> None:
    run = submit(api, workflow="demo", engine="mock", params={"steps": 50, "delay_seconds": 5})
    page = sign_in()
    page.goto(f"{service_url}/ui/runs/{run['id']}")
    expect(page.get_by_role("status", name="Run state")).to_have_text("RUNNING", timeout=30_000)

    page.get_by_role("button", name="Cancel run").click()

    expect(page.get_by_role("status", name="Run state")).to_have_text("CANCELED", timeout=30_000)
    expect(page.get_by_role("button", name="Cancel run")).to_have_count(0)
    assert api.get(f"/runs/{run['id']}").json()["state"] == "CANCELED"


def test_a_failed_run_is_resumed_from_its_page(sign_in, api, service_url: str) -> None:
    failed = submit(
        api,
        workflow="demo",
        engine="mock",
        params={"steps": 2, "delay_seconds": 0, "failure_rate": 1},
    )
    wait_for(lambda: api.get(f"/runs/{failed['id']}").json(), lambda r: r["state"] in FINAL)
    page = sign_in()
    page.goto(f"{service_url}/ui/runs/{failed['id']}")
    expect(page.get_by_role("status", name="Run state")).to_have_text("EXECUTOR_ERROR")

    page.get_by_role("button", name="Resume").click()

    expect(page).not_to_have_url(re.compile(f"/ui/runs/{failed['id']}$"))
    resumed_id = run_id_of(page)
    resumed = api.get(f"/runs/{resumed_id}").json()
    assert resumed["resumed_from"] == failed["id"]
    expect(page.locator(f'a[href="/ui/runs/{failed["id"]}"]')).not_to_have_count(0)


def test_a_value_the_schema_refuses_is_shown_before_anything_is_sent(sign_in, api) -> None:
    before = api.get("/runs", params={"page_size": 500}).json()["runs"]
    page = sign_in()
    page.get_by_role("link", name="New run").click()
    page.get_by_label("Workflow").select_option("demo")
    page.get_by_label("steps", exact=False).fill("99")

    page.get_by_role("button", name="Launch").click()

    steps = page.locator(".rjsf-field-integer", has=page.get_by_label("steps", exact=False))
    expect(steps).to_contain_text("99 is greater than 50")
    expect(page).to_have_url(re.compile(r"/ui/new$"))
    after = api.get("/runs", params={"page_size": 500}).json()["runs"]
    assert len(after) == len(before)


def test_a_launcher_has_no_upload_option(sign_in) -> None:
    page = sign_in(*LAUNCHER)
    page.get_by_role("link", name="New run").click()

    expect(page.get_by_label("Workflow")).to_be_visible()
    expect(page.get_by_role("radiogroup", name="Source")).to_have_count(0)
    expect(page.get_by_label("Workflow files")).to_have_count(0)


def test_a_workflow_uploaded_from_the_dashboard_runs_to_its_results(sign_in) -> None:
    page = sign_in()
    page.get_by_role("link", name="New run").click()

    page.get_by_role("radio", name="Upload a workflow").click()
    page.get_by_label("Workflow files").set_input_files(
        [{"name": "Snakefile", "mimeType": "text/plain", "buffer": HELLO_SNAKEFILE.encode()}]
    )
    page.get_by_role("button", name="Launch").click()

    run_id_of(page)
    expect(page.get_by_role("status", name="Run state")).to_have_text("COMPLETE", timeout=240_000)
    results = page.get_by_role("list", name="Results")
    expect(results.get_by_role("button", name="results/hello.txt")).to_be_visible()


HELLO_SNAKEFILE = """
rule hello:
    output: "results/hello.txt"
    shell: "echo hello > {output}"
"""
