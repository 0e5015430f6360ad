"""Only requests addressed to this server: a Host it serves, and no Origin but its own.

A web page can reach a loopback port by DNS rebinding (its own name, re-resolved to
127.0.0.1); its requests then carry that name in `Host`, and an `Origin` header as browsers
send one. SDKs and jobs name the endpoint they were given and send no Origin.
"""

import ipaddress
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


def host_and_port(authority: str, default_port: int) -> tuple[str, int] | None:
    """`(host, port)` of `host[:port]` or `[v6]:port`, host lower-case and unbracketed."""
    try:
        parts = urlsplit(f"//{authority}")
        port = parts.port
    except ValueError:
        return None
    if parts.hostname is None or parts.username is not None or parts.path or parts.query:
        return None
    return parts.hostname, default_port if port is None else port


def authority(host: str, port: int) -> str:
    try:
        bracketed = f"[{host}]" if ipaddress.ip_address(host).version == 6 else host
    except ValueError:
        bracketed = host
    return f"{bracketed}:{port}"


class HostGuard:
    """Refuses a request for another host (421) or from a foreign web origin (403)."""

    def __init__(self, app: ASGIApp, address: str, port: int) -> None:
        self.app = app
        self.port = port
        self.hosts = frozenset((address.lower(), *LOOPBACK_NAMES))
        self.served = ", ".join(sorted(authority(host, port) for host in self.hosts))

    def serves(self, value: str, default_port: int) -> bool:
        found = host_and_port(value, default_port)
        return found is not None and found[0] in self.hosts and found[1] == self.port

    def serves_origin(self, origin: str) -> bool:
        parts = urlsplit(origin)
        return parts.scheme == "http" and not parts.path and self.serves(parts.netloc, 80)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        hosts = headers.getlist("host")
        origin = headers.get("origin")
        if len(hosts) != 1 or not self.serves(hosts[0], 80):
            response = PlainTextResponse(
                f"batchflow local serves {self.served}, not Host {', '.join(hosts) or '(none)'}: "
                "requests for other host names are refused, so that a web page cannot reach "
                "it by DNS rebinding. Use the AWS_ENDPOINT_URL it printed.",
                421,
            )
        elif origin is not None and not self.serves_origin(origin):
            response = PlainTextResponse(
                f"batchflow local does not answer web pages from Origin {origin}: "
                "only AWS SDKs and its own jobs may call it.",
                403,
            )
        else:
            await self.app(scope, receive, send)
            return
        await response(scope, receive, send)
