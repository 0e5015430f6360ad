"""uvicorn's HTTP protocol with TCP_NODELAY on every connection.

asyncio turns Nagle's algorithm off only for sockets made with proto IPPROTO_TCP, and the
listening socket uvicorn makes for worker processes has proto 0. uvicorn writes a response's
head and body separately, so with Nagle on the body waits ~40 ms for the client's delayed
ACK."""

import asyncio
import socket

from uvicorn.protocols.http.auto import AutoHTTPProtocol


class NoDelayHTTPProtocol(AutoHTTPProtocol):  # type: ignore[misc,valid-type]
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        connection = transport.get_extra_info("socket")
        if connection is not None and connection.family in (socket.AF_INET, socket.AF_INET6):
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)  # type: ignore[arg-type]
