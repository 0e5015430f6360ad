"""Requests must name this service as their Host, and a browser page of another origin may
change nothing: DNS rebinding and cross-site requests to a loopback service stop here."""

import json
import re
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from ..loopback import is_loopback

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# A load balancer's health checks name the task's IP address, which no setting knows.
UNCHECKED_PATHS = frozenset({"/healthz", "/readyz"})


HOST_HEADER = re.compile(
    r"^(?:\[(?P<ipv6>[0-9a-f:.]+)\]|(?P<name>[a-z0-9.-]+))(?::[0-9]{1,5})?$", re.IGNORECASE
)


def host_name(host: str) -> str | None:
    """`example.org:8000` -> `example.org`, `[::1]:8000` -> `::1`, lower case; None for
    anything that is not a host name or address with an optional numeric port."""
    match = HOST_HEADER.match(host)
    if match is None:
        return None
    return (match.group("ipv6") or match.group("name")).lower()


class RequestGuard:
    def __init__(
        self,
        app: ASGIApp,
        *,
        hosts: set[str],
        origins: set[str],
        public_url: str | None,
        loopback_clients_only: bool = False,
    ) -> None:
        self.app = app
        self.loopback_clients_only = loopback_clients_only
        self.hosts = {h.lower() for h in hosts} | set(LOOPBACK_NAMES)
        self.origins = {o.lower().rstrip("/") for o in origins}
        if public_url:
            parsed = urlsplit(public_url)
            self.hosts.add((parsed.hostname or "").lower())
            self.origins.add(f"{parsed.scheme}://{parsed.netloc}".lower())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNCHECKED_PATHS:
            await self.app(scope, receive, send)
            return
        client = scope.get("client") or ("", 0)
        if self.loopback_clients_only and not is_loopback(client[0]):
            await refuse(
                send, 403, "authentication is off (BATCHFLOW_AUTH=none): loopback clients only"
            )
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        hosts = [value for key, value in scope["headers"] if key == b"host"]
        host = headers.get("host", "") if len(hosts) == 1 else ""
        if host_name(host) not in self.hosts:
            await refuse(
                send,
                421,
                f"this service does not answer for host {host[:100]!r}; "
                "add it to BATCHFLOW_ALLOWED_HOSTS or BATCHFLOW_PUBLIC_URL if it is its own",
            )
            return
        origin = headers.get("origin")
        if (
            origin is not None
            and scope["method"] not in SAFE_METHODS
            and not self._own_origin(origin, scope, host)
        ):
            await refuse(
                send,
                403,
                f"requests from pages of {origin[:100]!r} may not change anything here; "
                "add it to BATCHFLOW_ALLOWED_ORIGINS if it is trusted",
            )
            return
        await self.app(scope, receive, send)

    def _own_origin(self, origin: str, scope: Scope, host: str) -> bool:
        origin = origin.lower().rstrip("/")
        same_origin = f"{scope.get('scheme', 'http')}://{host.lower()}"
        return origin == same_origin or origin in self.origins


async def refuse(send: Send, status: int, message: str) -> None:
    body = json.dumps({"msg": message, "status_code": status}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
