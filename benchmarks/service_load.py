"""The run service under load: 10,000 stored runs, served on a loopback port, driven by wrk.

    python benchmarks/service_load.py --runs 10000 --duration 10 \
        [--stores memory,postgres] [--workers 1] [--sapporo /tmp/sapporo-venv/bin/sapporo]

For each store (the in-memory one, and PostgreSQL on a throwaway server started as the tests
start theirs), the runs are stored through the store API, then the service is started as a
separate process: for PostgreSQL `batchflow serve --no-local-aws` itself, for the in-memory
store (which only the serving process can fill) this script's own `serve-memory`, which builds
the same app with create_app and serves it with the same uvicorn settings. wrk then asks, at 32
connections and at one, `GET /runs?page_size=50` (the first page), the same from a page token
halfway down (a deep page) and `GET /runs/{id}`, each with the bearer token of a logged-in
admin. With --sapporo, the same runs laid out as Sapporo (GA4GH WES) keeps them, and its
`GET /runs?page_size=50` measured the same way; without it that line is skipped, saying why.

Needs wrk (`apt-get install -y wrk`) and, for PostgreSQL, its server programs. Prints a table
of requests/s and p50/p99 milliseconds; --json FILE writes the figures too. To compare two
versions, run it with PYTHONPATH=OTHER/src: the servers it starts inherit that.
"""

import argparse
import asyncio
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

REPOSITORY = Path(__file__).resolve().parents[1]
STATES = ["COMPLETE", "EXECUTOR_ERROR", "RUNNING", "CANCELED"]
START = datetime(2026, 1, 1, tzinfo=UTC)
PAGE_SIZE = 50
SAPPORO_SETTLE_SECONDS = 15
"""Just after it starts, Sapporo marks every RUNNING run whose process it cannot find as
SYSTEM_ERROR (a file write per run); its answers are slow until that is done."""


@dataclass
class Figure:
    target: str
    endpoint: str
    connections: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    server_cpu_ms: float
    """CPU time of the server's processes per request: what the load on the machine cannot
    inflate as it inflates wall times."""


def stored_runs(count: int) -> list[Any]:
    from batchflow_service.models import Run

    return [
        Run(
            id=f"{index:032x}",
            workflow="quickstart",
            engine="snakemake",
            owner=f"user{index % 20}",
            state=STATES[index % len(STATES)],
            params={"samples": ["a", "b", "c"], "length": 2000},
            tags={"project": f"p{index % 7}"},
            created_at=START + timedelta(seconds=index),
            started_at=START + timedelta(seconds=index + 5),
            ended_at=None
            if STATES[index % len(STATES)] == "RUNNING"
            else START + timedelta(seconds=index + 60),
        )
        for index in range(count)
    ]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(url: str, server: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server for {url} exited with {server.returncode}")
        with suppress(httpx.HTTPError):
            if httpx.get(url, timeout=5).status_code < 500:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:g} s")


@contextmanager
def running(command: list[str], env: dict[str, str], probe: str, log: Path) -> Iterator[int]:
    """Starts a server and yields its process id once `probe` answers."""
    with log.open("wb") as output:
        server = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        wait_until_up(probe, server)
        yield server.pid
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def wrk(
    url: str, connections: int, seconds: float, token: str | None
) -> tuple[float, float, float]:
    """Requests per second, p50 and p99 in milliseconds."""
    headers = ["-H", f"Authorization: Bearer {token}"] if token else []
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "60s", "--latency"]
    command += [*headers, url]
    report = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in report or "Socket errors" in report:
        raise RuntimeError(f"wrk on {url} saw failed requests:\n{report}")
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", report, re.MULTILINE))
    if set(percentiles) != {"50", "99"}:
        raise RuntimeError(f"wrk's report on {url} has no 50% and 99% lines:\n{report}")
    rate = float(re.search(r"Requests/sec:\s+(\S+)", report).group(1))
    return rate, milliseconds(percentiles["50"]), milliseconds(percentiles["99"])


def milliseconds(wrk_time: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", wrk_time).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60_000}[unit]


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of a process and its children, living or reaped."""
    total = 0.0
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            total += cpu_seconds(int(child))
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    ticks = sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    return total + ticks / os.sysconf("SC_CLK_TCK")


def measure(
    target: str, server: int, base: str, paths: dict[str, str], token: str | None, seconds: float
) -> list[Figure]:
    figures = []
    for endpoint, path in paths.items():
        wrk(base + path, 32, min(seconds, 2), token)  # warm-up
        for connections in (32, 1):
            cpu_before = cpu_seconds(server)
            rate, p50, p99 = wrk(base + path, connections, seconds, token)
            cpu_ms = (cpu_seconds(server) - cpu_before) * 1000 / max(rate * seconds, 1)
            figures.append(Figure(target, endpoint, connections, rate, p50, p99, cpu_ms))
            print(
                f"  {target:>9} {endpoint:<12} c={connections:<2} {rate:8.1f} req/s, "
                f"p50 {p50:7.2f} ms, p99 {p99:7.2f} ms, server CPU {cpu_ms:5.2f} ms/request",
                flush=True,
            )
    return figures


def service_paths(runs: list[Any]) -> dict[str, str]:
    from batchflow_service.api import pages

    middle = runs[len(runs) // 2]
    deep = pages.encode({"created_at": middle.created_at.isoformat(), "id": middle.id})
    return {
        "first page": f"/runs?page_size={PAGE_SIZE}",
        "deep page": f"/runs?page_size={PAGE_SIZE}&page_token={deep}",
        "one run": f"/runs/{runs[len(runs) // 3].id}",
    }


def log_in(base: str, password: str) -> str:
    answer = httpx.post(f"{base}/auth/token", data={"username": "admin", "password": password})
    return answer.raise_for_status().json()["access_token"]


def service_env(password: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "BATCHFLOW_ENGINES": '["mock"]',
        "BATCHFLOW_ADMIN_PASSWORD": password,
        **extra,
    }


def bench_memory(options: argparse.Namespace, runs: list[Any], work: Path) -> list[Figure]:
    port, password = free_port(), secrets.token_urlsafe(16)
    command = [
        sys.executable,
        __file__,
        "serve-memory",
        "--port",
        str(port),
        "--runs",
        str(len(runs)),
    ]
    base = f"http://127.0.0.1:{port}"
    with running(command, service_env(password), f"{base}/healthz", work / "memory.log") as pid:
        return measure(
            "memory", pid, base, service_paths(runs), log_in(base, password), options.duration
        )


def bench_postgres(options: argparse.Namespace, runs: list[Any], work: Path) -> list[Figure]:
    sys.path.insert(0, str(REPOSITORY))
    from tests.postgres_server import find_bindir, throwaway_postgres

    bindir = find_bindir()
    if bindir is None:
        print(
            "  postgres: skipped, PostgreSQL's server programs are not installed "
            "(apt-get install -y postgresql)"
        )
        return []
    figures: list[Figure] = []
    password = secrets.token_urlsafe(16)  # the first serve creates the admin with it
    with throwaway_postgres(bindir) as url:
        asyncio.run(seed_postgres(url, runs))
        for workers in options.workers:
            port = free_port()
            command = [sys.executable, "-m", "batchflow_cli", "serve", "--no-local-aws"]
            command += ["--port", str(port), "--workers", str(workers)]
            env = service_env(password, BATCHFLOW_DATABASE_URL=url)
            base = f"http://127.0.0.1:{port}"
            target = "postgres" if workers == 1 else f"postgres, {workers} workers"
            with running(command, env, f"{base}/healthz", work / f"{target}.log") as pid:
                token = log_in(base, password)
                figures += measure(target, pid, base, service_paths(runs), token, options.duration)
    return figures


async def seed_postgres(url: str, runs: list[Any]) -> None:
    from batchflow_service.store import PostgresStore

    store = PostgresStore(url)
    await store.open()
    try:
        for start in range(0, len(runs), 200):
            await asyncio.gather(*(store.create_run(run) for run in runs[start : start + 200]))
    finally:
        await store.close()


def lay_out_for_sapporo(runs: list[Any], run_dir: Path) -> None:
    """Each run as Sapporo keeps it: run_dir/ID[:2]/ID/ with its state, times and request."""
    for run in runs:
        folder = run_dir / run.id[:2] / run.id
        folder.mkdir(parents=True)
        (folder / "state.txt").write_text(run.state.value)
        (folder / "start_time.txt").write_text(sapporo_time(run.started_at))
        if run.ended_at is not None:
            (folder / "end_time.txt").write_text(sapporo_time(run.ended_at))
        request = {
            "workflow_params": run.params,
            "workflow_type": "SMK",
            "workflow_type_version": "1.0",
            "workflow_engine": "snakemake",
            "workflow_url": f"https://example.org/{run.workflow}/Snakefile",
            "tags": run.tags,
        }
        (folder / "run_request.json").write_text(json.dumps(request, indent=2))


def sapporo_time(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def bench_sapporo(options: argparse.Namespace, runs: list[Any], work: Path) -> list[Figure]:
    sapporo = options.sapporo and shutil.which(options.sapporo)
    if not sapporo:
        print(
            f"  sapporo: skipped, no sapporo executable at {options.sapporo!r}; install it "
            "apart: python -m venv /tmp/sapporo-venv && /tmp/sapporo-venv/bin/pip install "
            "sapporo, then pass --sapporo /tmp/sapporo-venv/bin/sapporo"
        )
        return []
    run_dir = work / "sapporo-runs"
    lay_out_for_sapporo(runs, run_dir)
    port = free_port()
    command = [sapporo, "--host", "127.0.0.1", "--port", str(port), "--run-dir", str(run_dir)]
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    with running(command, env, f"{base}/service-info", work / "sapporo.log") as pid:
        time.sleep(SAPPORO_SETTLE_SECONDS)
        paths = {"first page": f"/runs?page_size={PAGE_SIZE}"}
        return measure("sapporo", pid, base, paths, None, options.duration)


def print_table(figures: list[Figure]) -> None:
    sapporo = {f.connections: f for f in figures if f.target == "sapporo"}
    print(
        "\n| target | endpoint | req/s at 32 | p50 / p99 ms at 32 | req/s at 1 "
        "| p50 / p99 ms at 1 | req/s at 32 vs Sapporo |"
    )
    print("|---|---|---|---|---|---|---|")
    by_key = {(f.target, f.endpoint, f.connections): f for f in figures}
    for target, endpoint, _ in dict.fromkeys((f.target, f.endpoint, 0) for f in figures):
        many, one = by_key[(target, endpoint, 32)], by_key[(target, endpoint, 1)]
        ratio = (
            f"{many.requests_per_second / sapporo[32].requests_per_second:.0f}x"
            if 32 in sapporo and endpoint != "one run" and target != "sapporo"
            else ""
        )
        print(
            f"| {target} | {endpoint} | {many.requests_per_second:.0f} "
            f"| {many.p50_ms:.1f} / {many.p99_ms:.1f} | {one.requests_per_second:.0f} "
            f"| {one.p50_ms:.1f} / {one.p99_ms:.1f} | {ratio} |"
        )


def serve_memory(port: int, count: int) -> None:
    """The service on the in-memory store, filled through the store API before it serves."""
    import uvicorn

    from batchflow_cli.http_protocol import NoDelayHTTPProtocol
    from batchflow_service.app import create_app
    from batchflow_service.settings import Settings

    app = create_app(Settings())
    store, opened = app.state.store, app.router.lifespan_context

    @asynccontextmanager
    async def seeded(app_: Any) -> Any:
        async with opened(app_) as state:
            for run in stored_runs(count):
                await store.create_run(run)
            yield state

    app.router.lifespan_context = seeded
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, http=NoDelayHTTPProtocol, log_level="info"
    )
    uvicorn.Server(config).run()


def worker_counts(text: str) -> list[int]:
    counts = [int(part) for part in text.split(",")]
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: worker counts are whole numbers from 1")
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command")
    server = commands.add_parser("serve-memory", help="(used by the benchmark itself)")
    server.add_argument("--port", type=int, required=True)
    server.add_argument("--runs", type=int, required=True)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--duration", type=float, default=10, help="Seconds per wrk run")
    parser.add_argument("--stores", default="memory,postgres", help="memory, postgres or both")
    parser.add_argument(
        "--workers",
        type=worker_counts,
        default=[1, 2],
        help="`batchflow serve --workers` counts to measure on PostgreSQL, comma-separated",
    )
    parser.add_argument("--sapporo", default=None, help="The sapporo executable, if installed")
    parser.add_argument("--json", type=Path, default=None, help="Write the figures here too")
    options = parser.parse_args()
    if options.command == "serve-memory":
        serve_memory(options.port, options.runs)
        return
    if shutil.which("wrk") is None:
        sys.exit("service_load.py needs wrk: apt-get install -y wrk")
    runs = stored_runs(options.runs)
    figures: list[Figure] = []
    print(f"{options.runs} runs stored; wrk for {options.duration:g} s per figure", flush=True)
    with tempfile.TemporaryDirectory(prefix="batchflow-load-") as folder:
        work = Path(folder)
        stores = options.stores.split(",")
        if "memory" in stores:
            figures += bench_memory(options, runs, work)
        if "postgres" in stores:
            figures += bench_postgres(options, runs, work)
        figures += bench_sapporo(options, runs, work)
    print_table(figures)
    if options.json:
        options.json.write_text(json.dumps([asdict(f) for f in figures], indent=2))


if __name__ == "__main__":
    main()
