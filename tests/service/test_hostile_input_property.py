"""Property: whatever JSON a client puts into any field of either API (surrogates, NUL, NaN,
numbers too large for a float, deep nesting, odd types), the service answers below 500; and
afterwards it still lists and shows every run it accepted, after a restart with the same store
and after one that rebuilds the runs from their records in S3.

Runs go to the mock engine (in-process) and to the snakemake engine with a head queue that does
not exist: its launch stages the workflow and writes the run record to S3, then fails to submit
the head job, so no process starts and the record is there to recover from."""

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi.testclient import TestClient
from hypothesis import given, note, settings
from hypothesis import strategies as st

from batchflow_service.app import create_app
from batchflow_service.settings import Settings
from batchflow_service.store import MemoryStore

from .clients import admin_client
from .hostile import JSON, multipart

WES = "/ga4gh/wes/v1"
NO_SUCH_QUEUE = "hostile-input-no-such-queue"
SNAKEFILE = b"rule all:\n    output: 'out.txt'\n    shell: 'touch {output}'\n"
TOO_LARGE_FOR_A_FLOAT = "<<1e400>>"
"""Written as the JSON number 1e400, which Python reads as Infinity."""
SHOWN = ("id", "name", "workflow", "engine", "params", "tags", "owner", "uploaded", "request")

SPECIAL_TEXTS = ["\x00", "\ud800", "a\udc00b", "\ud83d\ude00", "😀", "", "demo", "MOCK", "SMK"]
texts = st.one_of(
    st.text(st.characters(exclude_categories=()), max_size=12), st.sampled_from(SPECIAL_TEXTS)
)
storable_texts = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12
)
numbers = st.one_of(
    st.integers(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(),
    st.just(TOO_LARGE_FOR_A_FLOAT),
)


def values(text: st.SearchStrategy[str], number: st.SearchStrategy[Any]) -> st.SearchStrategy:
    return st.recursive(
        st.one_of(st.none(), st.booleans(), number, text),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
        max_leaves=12,
    )


storable_values = values(
    storable_texts, st.integers() | st.floats(allow_nan=False, allow_infinity=False)
)
json_values = st.one_of(
    values(texts, numbers),
    storable_values,
    storable_values,  # as likely again: most hostile values are refused, these are stored
    st.integers(min_value=55, max_value=75).map(lambda levels: nested(levels)),
)


def nested(levels: int) -> Any:
    value: Any = "bottom"
    for _ in range(levels):
        value = {"x": value} if levels % 2 else [value]
    return value


def dumps(value: Any) -> str:
    """JSON as a hostile client may write it: NaN, Infinity and 1e400 as such, surrogates as
    their escapes."""
    return json.dumps(value).replace(json.dumps(TOO_LARGE_FOR_A_FLOAT), "1e400")


def as_text(value: Any) -> str:
    return value if isinstance(value, str) else dumps(value)


NATIVE_JSON = {
    "mock": {"workflow": "demo", "engine": "mock", "params": {"delay_seconds": 0, "steps": 1}},
    "snakemake": {"workflow": "open", "engine": "snakemake", "params": {"length": 10}},
}
NATIVE_FORM = {
    "mock": ({"workflow": "demo", "engine": "mock", "params": '{"delay_seconds": 0}'}, []),
    "snakemake": (
        {"workflow": "Snakefile", "engine": "snakemake"},
        [("files", "Snakefile", SNAKEFILE)],
    ),
}
WES_FORM = {
    "mock": (
        {
            "workflow_type": "MOCK",
            "workflow_type_version": "1",
            "workflow_url": "demo",
            "workflow_params": '{"delay_seconds": 0, "steps": 1}',
        },
        [],
    ),
    "snakemake": (
        {"workflow_type": "SMK", "workflow_type_version": "9", "workflow_url": "Snakefile"},
        [("workflow_attachment", "Snakefile", SNAKEFILE)],
    ),
}
CONTENT_TYPES = [
    None,
    "application/json",
    "application/merge-patch+json",
    "application/json; charset=utf-16",
    "application/x-www-form-urlencoded",
    "text/plain",
]
ENGINES = ["mock", "snakemake"]
"""Parameters go to snakemake runs: the mock engine takes only its own few."""


@dataclass(frozen=True)
class Hostile:
    """Where a hostile value goes, and how the request carrying it is sent."""

    request: str
    field: str
    value: Any
    key: str
    engine: str
    charset: str
    content_type: str | None

    def json_body(self, base: dict[str, Any]) -> bytes:
        body: Any = json.loads(json.dumps(base))
        if self.field == "body":
            body = self.value
        elif self.field.endswith(".key"):
            parent = self.field.removesuffix(".key")
            body[parent] = (body.get(parent) or {}) | {self.key: self.value}
        else:
            body[self.field] = self.value
        return dumps(body).encode()

    def form(
        self, fields: dict[str, str], files: list[tuple[str, str, bytes]]
    ) -> tuple[bytes, dict[str, str]]:
        fields = dict(fields)
        if self.field == "file name":
            files = [(name, as_text(self.value), content) for name, _, content in files] or [
                ("workflow_attachment" if "workflow_url" in fields else "files", "x", b"")
            ]
        elif self.field.endswith(".key"):
            parent = self.field.removesuffix(".key")
            fields[parent] = dumps(json.loads(fields.get(parent, "{}")) | {self.key: self.value})
        else:
            fields[self.field] = as_text(self.value)
        return multipart(list(fields.items()), files, self.charset)


def native_json(hostile: Hostile) -> dict[str, Any]:
    body = hostile.json_body(NATIVE_JSON[hostile.engine])
    return {"method": "POST", "url": "/runs", "content": body, "headers": JSON}


def native_form(hostile: Hostile) -> dict[str, Any]:
    body, headers = hostile.form(*NATIVE_FORM[hostile.engine])
    return {"method": "POST", "url": "/runs", "content": body, "headers": headers}


def wes_form(hostile: Hostile) -> dict[str, Any]:
    body, headers = hostile.form(*WES_FORM[hostile.engine])
    return {"method": "POST", "url": f"{WES}/runs", "content": body, "headers": headers}


def new_user(hostile: Hostile) -> dict[str, Any]:
    base = {"name": "hostile-user", "role": "viewer", "password": "a-long-enough-password"}
    return {"method": "POST", "url": "/users", "content": hostile.json_body(base), "headers": JSON}


def new_token(hostile: Hostile) -> dict[str, Any]:
    body = hostile.json_body({"name": "ci"})
    return {"method": "POST", "url": "/users/me/tokens", "content": body, "headers": JSON}


def login(hostile: Hostile) -> dict[str, Any]:
    fields = {"username": "nobody", "password": "not-the-password"}
    if as_text(hostile.value) == "admin":  # failed logins would throttle the tests' own user
        return {"method": "GET", "url": "/users/me"}
    body, headers = hostile.form(fields, [])
    return {"method": "POST", "url": "/auth/token", "content": body, "headers": headers}


def raw_body(hostile: Hostile) -> dict[str, Any]:
    """The value's text as the whole body, in UTF-8 or not (a surrogate as the bytes it would
    be), under any content type or none."""
    method, url = hostile.field.split(" ")
    body = as_text(hostile.value).encode(errors="surrogatepass")
    headers = {"content-type": hostile.content_type} if hostile.content_type else {}
    return {"method": method, "url": url, "content": body, "headers": headers}


def query_string(hostile: Hostile) -> str:
    """The field's value percent-encoded from UTF-8 (a surrogate as the bytes it would be)."""
    value = as_text(hostile.value).encode(errors="surrogatepass")
    return f"{hostile.field}={quote(value)}"


def native_query(hostile: Hostile) -> dict[str, Any]:
    return {"method": "GET", "url": f"/runs?{query_string(hostile)}"}


def wes_query(hostile: Hostile) -> dict[str, Any]:
    return {"method": "GET", "url": f"{WES}/runs?{query_string(hostile)}"}


REQUESTS: dict[Callable[[Hostile], dict[str, Any]], list[str]] = {
    native_json: [
        "body", "workflow", "engine", "name", "params", "params.key", "tags", "tags.key",
        "surprise",
    ],
    native_form: [
        "workflow", "engine", "name", "params", "params.key", "tags", "tags.key", "file name",
    ],
    wes_form: [
        "workflow_params", "workflow_params.key", "workflow_type", "workflow_type_version",
        "tags", "tags.key", "workflow_engine", "workflow_engine_version", "workflow_url",
        "workflow_engine_parameters", "workflow_engine_parameters.key", "file name",
    ],
    new_user: ["body", "name", "role", "password", "surprise"],
    new_token: ["body", "name", "expires_in_days"],
    login: ["username", "password"],
    raw_body: [
        "POST /runs", f"POST {WES}/runs", "POST /users", "PATCH /users/nobody",
        "POST /users/me/tokens", "POST /auth/token", f"POST /runs/{'f' * 32}/resume",
    ],
    native_query: ["page_token", "tag", "state", "page_size"],
    wes_query: ["page_token", "page_size"],
}  # fmt: skip
BUILDERS = {build.__name__: build for build in REQUESTS}
SUBMISSIONS = {native_json.__name__, native_form.__name__, wes_form.__name__}
hostile_requests = st.sampled_from(
    [(build.__name__, field) for build, fields in REQUESTS.items() for field in fields]
).flatmap(
    lambda target: st.builds(
        Hostile,
        st.just(target[0]),
        st.just(target[1]),
        json_values,
        st.one_of(texts, storable_texts),
        st.just("snakemake") if "params" in target[1] else st.sampled_from(ENGINES),
        st.sampled_from(["utf-8", "utf-7"]),
        st.sampled_from(CONTENT_TYPES),
    )
)


def shown(client: TestClient, run_id: str) -> dict[str, Any]:
    answer = client.get(f"/runs/{run_id}")
    assert answer.status_code == 200, answer.text
    assert client.get(f"{WES}/runs/{run_id}").status_code == 200
    return {name: as_json_numbers(answer.json()[name]) for name in SHOWN}


def as_json_numbers(value: Any) -> Any:
    """`value` with each number as the double a JSON reader takes it for. PostgreSQL's jsonb
    keeps 7e16 as the numeric 70000000000000000, which reads back as an int: the same JSON
    number, but not equal to the float in Python."""
    if isinstance(value, dict):
        return {key: as_json_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_json_numbers(item) for item in value]
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:  # beyond any double: kept as the integer it is
            return value
    return value


def listed(client: TestClient) -> set[str]:
    ids: set[str] = set()
    token = ""
    while True:
        page = client.get("/runs", params={"page_size": 500, "page_token": token or None})
        assert page.status_code == 200, page.text
        ids |= {run["id"] for run in page.json()["runs"]}
        token = page.json()["next_page_token"]
        if not token:
            assert client.get(f"{WES}/runs", params={"page_size": 500}).status_code == 200
            return ids


def wait_for(predicate: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def open_catalog(folder: Path) -> Path:
    """A catalog with one Snakemake workflow, `open`, that takes any parameters."""
    (folder / "open").mkdir(parents=True)
    (folder / "open" / "workflow.yaml").write_text(
        "description: any params\nengines: [snakemake]\n"
    )
    (folder / "open" / "Snakefile").write_bytes(SNAKEFILE)
    return folder


def test_hostile_json_in_any_field_never_breaks_listing_showing_or_restarting(
    aws_environment, s3, database_url: str | None, tmp_path: Path
) -> None:
    bucket = f"hostile-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=bucket)
    service_settings = Settings(
        engines=["mock", "snakemake"],
        catalog_dir=open_catalog(tmp_path / "catalog"),
        bucket=bucket,
        head_queue=NO_SUCH_QUEUE,
        database_url=database_url,
        aws_max_attempts=1,
        reconcile_seconds=0.5,
    )
    app = create_app(service_settings)
    accepted: dict[str, dict[str, Any]] = {}

    with admin_client(app) as client:

        @settings(max_examples=150, deadline=None)
        @given(hostile_requests)
        def post_anything(hostile: Hostile) -> None:
            note(repr(hostile))
            answer = client.request(**BUILDERS[hostile.request](hostile))
            assert answer.status_code < 500, answer.text
            if answer.status_code in (200, 201) and hostile.request in SUBMISSIONS:
                run_id = answer.json().get("id") or answer.json()["run_id"]
                accepted[run_id] = shown(client, run_id)

        post_anything()

        snakemake_runs = [i for i, run in accepted.items() if run["engine"] == "snakemake"]
        assert snakemake_runs, "no snakemake run was accepted: nothing reached S3"
        wait_for(
            lambda: all(
                client.get(f"/runs/{i}").json()["state"] == "SYSTEM_ERROR" for i in snakemake_runs
            ),
            "the snakemake launches did not end",
        )
        for run_id in snakemake_runs:
            reason = client.get(f"/runs/{run_id}").json()["reason"]
            assert NO_SUCH_QUEUE in reason, reason  # staged, record written; no head job
        assert set(accepted) <= listed(client)
        assert {run_id: shown(client, run_id) for run_id in accepted} == accepted
        assert client.get("/users").status_code == 200
        assert client.get("/users/me/tokens").status_code == 200

    store = None if database_url else app.state.store
    with admin_client(create_app(service_settings, store=store)) as client:
        assert set(accepted) <= listed(client)
        assert {run_id: shown(client, run_id) for run_id in accepted} == accepted

    from_records = service_settings.model_copy(update={"database_url": None})
    with admin_client(create_app(from_records, store=MemoryStore())) as client:
        wait_for(lambda: set(snakemake_runs) <= listed(client), "runs were not rebuilt from S3")
        assert {i: shown(client, i) for i in snakemake_runs} == {
            i: accepted[i] for i in snakemake_runs
        }
