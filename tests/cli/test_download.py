"""Downloading a run's outputs from a fake service: paths kept, redirects followed, hostile
paths refused, and no half-written file left behind."""

import io
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from rich.console import Console

from batchflow_cli.client import ServiceClient, ServiceError
from batchflow_cli.download import DownloadError, download_run

PREFIX = "s3://bucket/runs/r1/outputs/"


def fake_service(
    files: dict[str, bytes], listed: list[str] | None = None, state: str = "COMPLETE"
) -> tuple[ServiceClient, list[str]]:
    """A service whose run r1 lists `listed` (default: `files` under PREFIX) and serves `files`
    through a presigned-URL redirect; also the paths it was asked for."""
    asked: list[str] = []
    uris = [PREFIX + name for name in files] if listed is None else listed

    def answer(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.url.host == "s3.example":
            return httpx.Response(200, content=files[path.removeprefix("/bucket/")])
        if path == "/runs/r1":
            outputs = {"prefix": PREFIX, "files": uris} if uris else {}
            return httpx.Response(200, json={"id": "r1", "state": state, "outputs": outputs})
        name = path.removeprefix("/runs/r1/outputs/")
        asked.append(name)
        if name not in files:
            return httpx.Response(404, json={"msg": f"run r1 has no output {name!r}"})
        return httpx.Response(307, headers={"location": f"https://s3.example/bucket/{name}"})

    return ServiceClient("http://service", transport=httpx.MockTransport(answer)), asked


def quiet() -> Console:
    return Console(file=io.StringIO())


def every_file(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in folder.rglob("*")
        if path.is_file()
    }


def test_every_output_lands_at_its_path_under_the_destination(tmp_path) -> None:
    files = {"results/summary.json": b'{"mean_gc": 0.5}', "plots/a b.txt": b"x" * 100_000}
    client, asked = fake_service(files)
    console = Console(file=io.StringIO(), width=100)

    saved = download_run(client, "r1", tmp_path / "out", console)

    assert every_file(tmp_path / "out") == files
    assert saved == [tmp_path / "out" / name for name in files]
    assert asked == list(files)
    assert "2/2 files" in console.file.getvalue()


@pytest.mark.parametrize(
    "hostile",
    [
        "../outside.txt",
        "results/../../outside.txt",
        "/etc/outside.txt",
        "results\\..\\..\\outside.txt",
        "",
    ],
)
def test_a_path_that_would_land_outside_is_refused_before_anything_is_fetched(
    tmp_path, hostile
) -> None:
    files = {"results/fine.txt": b"fine"}
    client, asked = fake_service(files, listed=[PREFIX + "results/fine.txt", PREFIX + hostile])
    destination = tmp_path / "deep" / "out"

    with pytest.raises(DownloadError, match="refusing to download") as refused:
        download_run(client, "r1", destination, quiet())

    assert repr(hostile) in str(refused.value)
    assert f"outside {destination}" in str(refused.value)
    assert asked == []
    assert every_file(tmp_path) == {}


def test_a_listed_file_outside_the_outputs_prefix_is_refused(tmp_path) -> None:
    client, asked = fake_service({}, listed=["s3://bucket/elsewhere/secret"])

    with pytest.raises(DownloadError, match="not under the run's outputs prefix"):
        download_run(client, "r1", tmp_path, quiet())

    assert asked == []


def test_a_symbolic_link_in_the_destination_cannot_lead_outside(tmp_path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    destination = tmp_path / "out"
    destination.mkdir()
    (destination / "results").symlink_to(outside)
    client, _ = fake_service({"results/summary.json": b"{}"})

    with pytest.raises(DownloadError, match="would be written outside"):
        download_run(client, "r1", destination, quiet())

    assert list(outside.iterdir()) == []


class BrokenStream(httpx.SyncByteStream):
    def __iter__(self) -> Iterator[bytes]:
        yield b"the first half"
        raise httpx.ReadError("connection reset by peer")


def serving(body: Callable[[], httpx.Response]) -> ServiceClient:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/runs/r1":
            outputs = {"prefix": PREFIX, "files": [PREFIX + "results/big.bin"]}
            return httpx.Response(200, json={"id": "r1", "state": "COMPLETE", "outputs": outputs})
        return body()

    return ServiceClient("http://service", transport=httpx.MockTransport(answer))


def test_a_broken_transfer_leaves_no_file_behind(tmp_path) -> None:
    client = serving(lambda: httpx.Response(200, stream=BrokenStream()))

    with pytest.raises(ServiceError, match="stopped answering"):
        download_run(client, "r1", tmp_path, quiet())

    assert every_file(tmp_path) == {}


def test_a_file_the_service_cannot_serve_is_its_error_and_leaves_nothing(tmp_path) -> None:
    client = serving(lambda: httpx.Response(502, json={"msg": "AWS refused a call: GetObject"}))

    with pytest.raises(ServiceError, match="AWS refused a call: GetObject") as failed:
        download_run(client, "r1", tmp_path, quiet())

    assert failed.value.status_code == 502
    assert every_file(tmp_path) == {}


def test_an_earlier_download_is_replaced_whole(tmp_path) -> None:
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "summary.json").write_bytes(b"an older, longer summary")
    client, _ = fake_service({"results/summary.json": b"new"})

    download_run(client, "r1", tmp_path, quiet())

    assert every_file(tmp_path) == {"results/summary.json": b"new"}


def test_a_run_that_has_not_completed_has_nothing_to_download(tmp_path) -> None:
    client, _ = fake_service({}, state="RUNNING")

    with pytest.raises(DownloadError, match="r1 is RUNNING; its output files are listed once"):
        download_run(client, "r1", tmp_path, quiet())
