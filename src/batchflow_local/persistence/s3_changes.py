"""Which buckets and keys an S3 request changed, as moto itself names them.

moto's S3 backend methods that create, change or delete a bucket or an object note its name
while a request is being recorded on the current thread; `RecordingApp` records each mutating
request, hands the names to the store once moto is done (its metadata and tags set too), and
only then lets the response go, so a client never sees success for a change not yet kept."""

import inspect
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any

from moto.s3.models import S3Backend

log = logging.getLogger(__name__)

Change = tuple[str, str | None]
"""(bucket, key); key None for the bucket itself."""

MUTATING_METHODS = frozenset({"PUT", "POST", "DELETE"})
INTERNAL_ERROR = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code><Message>'
    b"batchflow local could not record this change on disk; see its log</Message></Error>"
)

_current = threading.local()


@contextmanager
def recording() -> Iterator[set[Change]]:
    changes: set[Change] = set()
    _current.changes = changes
    try:
        yield changes
    finally:
        _current.changes = None


HOOKED: dict[str, tuple[str, ...]] = {
    "create_bucket": ("bucket_name",),
    "delete_bucket": ("bucket_name",),
    "put_object": ("bucket_name", "key_name"),
    "delete_object": ("bucket_name", "key_name"),
    "put_object_tagging": ("key",),
    "delete_object_tagging": ("bucket_name", "key_name"),
}
"""The S3Backend methods that change a bucket or an object (others, such as copy_object,
complete_multipart_upload and delete_objects, call these), and the parameters that name it."""


def _change_of(arguments: dict[str, Any]) -> Change:
    if "key" in arguments:
        return arguments["key"].bucket_name, arguments["key"].name
    return arguments["bucket_name"], arguments.get("key_name")


def _hook(name: str, parameters: tuple[str, ...]) -> None:
    original = getattr(S3Backend, name)
    if getattr(original, "batchflow_hook", False):
        return
    signature = inspect.signature(original)
    if not set(parameters) <= signature.parameters.keys():
        raise RuntimeError(
            f"moto's S3Backend.{name}{signature} has no {', '.join(parameters)}: batchflow "
            "local's S3 persistence does not know this moto version; install the moto 5.x "
            "that pyproject.toml allows"
        )

    @wraps(original)
    def noting(self: S3Backend, *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        changes = getattr(_current, "changes", None)
        if changes is not None:
            changes.add(_change_of(signature.bind(self, *args, **kwargs).arguments))
        return result

    noting.batchflow_hook = True  # type: ignore[attr-defined]
    setattr(S3Backend, name, noting)


def install_hooks() -> None:
    """Once per process; the hooks do nothing on threads that are not recording."""
    for name, parameters in HOOKED.items():
        _hook(name, parameters)


WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class RecordingApp:
    """Wraps moto's S3 WSGI application; `keep(changes)` runs before each mutating request's
    response starts (and on failure turns it into a 500 InternalError)."""

    def __init__(self, app: WsgiApp, keep: Callable[[set[Change]], None]) -> None:
        self.app = app
        self.keep = keep

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("REQUEST_METHOD") not in MUTATING_METHODS:
            return self.app(environ, start_response)
        started: list[tuple[Any, ...]] = []
        written: list[bytes] = []

        def hold(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            started.append((status, headers, exc_info))
            return written.append

        with recording() as changes:
            body = self.app(environ, hold)
        try:
            if changes:
                self.keep(changes)
        except Exception:
            log.exception("could not record S3 changes %s", sorted(changes, key=str))
            close = getattr(body, "close", None)
            if close is not None:
                close()
            start_response("500 Internal Server Error", [("Content-Type", "application/xml")])
            return [INTERNAL_ERROR]
        write = start_response(*started[0])
        for chunk in written:
            write(chunk)
        return body
