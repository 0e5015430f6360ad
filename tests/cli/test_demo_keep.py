"""`batchflow demo --keep`: once the run ends, the service stays up for its dashboard, with a
password to sign in with, until Ctrl-C stops everything the demo started."""

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from .serve_processes import left_behind, listening, wait_until

DASHBOARD = re.compile(r"^Dashboard: (?P<service>http://[^/\s]+)/ui/runs/(?P<run>[0-9a-f]+)$", re.M)
PASSWORD = re.compile(r"^Sign in as admin with the password (?P<password>\S+) ", re.M)


def test_the_kept_demo_serves_its_run_until_ctrl_c_then_stops_everything(tmp_path: Path) -> None:
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "BATCHFLOW_"))},
        "TMPDIR": str(tmp_path),
    }
    log = tmp_path / "demo.log"
    command = [sys.executable, "-m", "batchflow_cli", "demo", "demo", "--keep"]
    command += ["--param", "steps=2", "--param", "delay_seconds=0"]
    with log.open("wb") as output:
        demo = subprocess.Popen(
            command, env=environment, stdout=output, stderr=subprocess.STDOUT, cwd=tmp_path
        )
    try:
        wait_until(
            lambda: "Serving until Ctrl-C" in log.read_text() or demo.poll() is not None,
            120,
            "the demo to finish its run and keep serving",
        )
        shown = log.read_text()
        assert demo.poll() is None, shown[-3000:]
        page, password = DASHBOARD.search(shown), PASSWORD.search(shown)
        assert page, shown[-3000:]
        assert password, shown[-3000:]
        service, run_id = page["service"], page["run"]
        local_aws = json.loads(next(tmp_path.glob("batchflow-demo-*/endpoint.json")).read_text())

        # The run's page answers (503 with build instructions where no dashboard is built).
        assert httpx.get(page[0].removeprefix("Dashboard: ")).status_code in (200, 503)
        token = httpx.post(
            f"{service}/auth/token", data={"username": "admin", "password": password["password"]}
        )
        assert token.status_code == 200, token.text
        auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
        run = httpx.get(f"{service}/runs/{run_id}", headers=auth)
        assert run.status_code == 200, run.text
        assert run.json()["state"] == "COMPLETE"

        demo.send_signal(signal.SIGINT)
        code = demo.wait(timeout=60)
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()

    shown = log.read_text()
    assert code == 0, shown[-3000:]
    assert "Stopping the service and the local AWS." in shown
    assert "Traceback" not in shown
    assert not listening(service)
    assert left_behind(local_aws["endpoint"], local_aws["pid"]) == {}
    assert not list(tmp_path.glob("batchflow-demo-*"))
