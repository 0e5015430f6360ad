"""Fault: a burst of submissions, 200 through the service's own API and 50 through WES, all in
flight at once on connections of their own, against the service served by uvicorn as
`batchflow serve` serves it, with either store. Guarantee: none is lost: every run accepted
(201, or 200 for WES) is listed afterwards by both APIs exactly once, and no submission is
answered 5xx (the service does not rate-limit, so every one is accepted)."""

import asyncio
import json
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from batchflow_cli.serving import ServiceThread
from batchflow_service.settings import Settings

from ..service.clients import ADMIN_PASSWORD, login

BURST = 200
WES_BURST = 50
WES = "/ga4gh/wes/v1"
MOCK = {"steps": 1, "delay_seconds": 0}


@pytest.fixture
def service_url(database_url: str | None) -> Iterator[str]:
    service = ServiceThread(Settings(engines=["mock"], database_url=database_url))
    yield service.start()
    service.stop()


def admin_headers(url: str) -> dict[str, str]:
    with httpx.Client(base_url=url, timeout=30) as client:
        return login(client, "admin", ADMIN_PASSWORD)


async def submit_all(url: str, headers: dict[str, str]) -> list[httpx.Response | BaseException]:
    """Every submission on a connection of its own, all sent at once."""
    limits = httpx.Limits(max_connections=BURST + WES_BURST)
    async with httpx.AsyncClient(
        base_url=url, headers=headers, limits=limits, timeout=120
    ) as client:
        native = [
            client.post("/runs", json={"workflow": "demo", "engine": "mock", "params": MOCK})
            for _ in range(BURST)
        ]
        wes_form = {
            "workflow_type": "MOCK",
            "workflow_type_version": "1",
            "workflow_url": "demo",
            "workflow_params": json.dumps(MOCK),
        }
        wes = [
            client.post(f"{WES}/runs", data=wes_form, files=[("nothing", ("", b""))])
            for _ in range(WES_BURST)
        ]
        return await asyncio.gather(*native, *wes, return_exceptions=True)


def listed_ids(client: httpx.Client, path: str, key: str, id_key: str) -> list[str]:
    """Every run id `path` lists, page by page."""
    ids: list[str] = []
    token = None
    while True:
        params = {"page_size": 50, **({"page_token": token} if token else {})}
        page = client.get(path, params=params)
        assert page.status_code == 200, page.text
        ids += [run[id_key] for run in page.json()[key]]
        token = page.json()["next_page_token"]
        if not token:
            return ids


def test_a_burst_of_concurrent_submissions_loses_none(service_url: str) -> None:
    headers = admin_headers(service_url)
    answers = asyncio.run(submit_all(service_url, headers))

    failed = [repr(answer) for answer in answers if isinstance(answer, BaseException)]
    assert failed == []
    statuses = Counter(answer.status_code for answer in answers)
    assert statuses == {201: BURST, 200: WES_BURST}, {a.status_code: a.text for a in answers}
    accepted = [answer.json().get("id") or answer.json()["run_id"] for answer in answers]
    assert len(set(accepted)) == BURST + WES_BURST
    with httpx.Client(base_url=service_url, headers=headers, timeout=30) as client:
        native = Counter(listed_ids(client, "/runs", "runs", "id"))
        wes = Counter(listed_ids(client, f"{WES}/runs", "runs", "run_id"))

    assert native == Counter(accepted)
    assert wes == Counter(accepted)
