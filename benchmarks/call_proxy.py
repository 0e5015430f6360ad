"""A counting reverse proxy in front of a local AWS, for the side-by-side benchmark.

Every request is relayed byte for byte, Host header included, so SigV4 signatures still
verify; the proxy notes when it came, which service and operation it was (the service from
the signature's credential scope; Batch by its REST path, Logs and SQS by `X-Amz-Target`, S3
by method), and keeps the bodies `call_tally.py` reads: SubmitJob requests and responses,
DescribeJobs requests and responses, SQS ReceiveMessage responses.

    proxy = CallProxy(upstream_host="::1", upstream_port=port).start_in_thread()
    ... point clients at proxy.endpoint ...
    calls = proxy.take_calls()
"""

import asyncio
import re
import threading
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import botocore.session

HEAD_LIMIT = 1 << 20
CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")
KEPT_BODIES = {"batch.SubmitJob", "batch.DescribeJobs", "sqs.ReceiveMessage"}
NO_BODY_STATUSES = {204, 304}


def batch_operations_by_path() -> dict[str, str]:
    model = botocore.session.get_session().get_service_model("batch")
    return {model.operation_model(name).http["requestUri"]: name for name in model.operation_names}


BATCH_OPERATIONS = batch_operations_by_path()


@dataclass
class Call:
    sent: float
    """When the request reached the proxy (seconds since the epoch)."""
    at: float
    """When the response reached the proxy."""
    service: str
    operation: str
    status: int
    request_body: bytes = b""
    response_body: bytes = b""

    @property
    def name(self) -> str:
        return f"{self.service}.{self.operation}"


@dataclass
class Message:
    head: list[str]
    """The start line, then each header line, without line ends."""
    body: bytes
    raw_body: bytes
    """The body as it was framed on the wire (chunked or not)."""

    def header(self, name: str) -> str | None:
        prefix = name.lower() + ":"
        for line in self.head[1:]:
            if line.lower().startswith(prefix):
                return line.split(":", 1)[1].strip()
        return None

    def encode(self, drop: tuple[str, ...] = ()) -> bytes:
        lines = [self.head[0]] + [
            line for line in self.head[1:] if line.split(":", 1)[0].strip().lower() not in drop
        ]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.raw_body


def classify(request: Message) -> tuple[str, str]:
    method, target, _ = request.head[0].split(" ", 2)
    parts = urlsplit(target)
    scope = CREDENTIAL_SCOPE.search(request.header("authorization") or "")
    query_credential = parse_qs(parts.query).get("X-Amz-Credential", [""])[0].split("/")
    if scope:
        service = scope.group(1)
    elif len(query_credential) == 5:
        service = query_credential[3]
    else:
        return "unsigned", f"{method} {parts.path.split('/')[1] if '/' in parts.path else ''}"
    amz_target = request.header("x-amz-target")
    if amz_target:
        return service, amz_target.rsplit(".", 1)[-1]
    if service == "batch":
        return service, BATCH_OPERATIONS.get(parts.path.rstrip("/"), parts.path)
    return service, method


async def read_chunked(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    raw, body = bytearray(), bytearray()
    while True:
        size_line = await reader.readuntil(b"\r\n")
        raw += size_line
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            while True:  # trailers, then the empty line
                line = await reader.readuntil(b"\r\n")
                raw += line
                if line == b"\r\n":
                    return bytes(body), bytes(raw)
        chunk = await reader.readexactly(size + 2)
        raw += chunk
        body += chunk[:-2]


async def read_head(reader: asyncio.StreamReader) -> list[str] | None:
    try:
        data = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as error:
        if error.partial:
            raise
        return None
    return data[:-4].decode("latin-1").split("\r\n")


async def read_body(reader: asyncio.StreamReader, message_head: list[str]) -> tuple[bytes, bytes]:
    """The body, and the body as framed on the wire."""
    probe = Message(message_head, b"", b"")
    if (probe.header("transfer-encoding") or "").lower() == "chunked":
        return await read_chunked(reader)
    length = int(probe.header("content-length") or 0)
    body = await reader.readexactly(length) if length else b""
    return body, body


class CallProxy:
    def __init__(self, upstream_host: str, upstream_port: int, host: str = "127.0.0.1") -> None:
        self.upstream = (upstream_host, upstream_port)
        self.host = host
        self.port = 0
        self._calls: list[Call] = []
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def take_calls(self) -> list[Call]:
        """The calls recorded since the last take, oldest first."""
        with self._lock:
            calls, self._calls = self._calls, []
        return calls

    def start_in_thread(self) -> "CallProxy":
        ready = threading.Event()

        def serve() -> None:
            self._loop = asyncio.new_event_loop()
            self._server = self._loop.run_until_complete(
                asyncio.start_server(self._serve_client, self.host, self.port, limit=HEAD_LIMIT)
            )
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=serve, name="call-proxy", daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        if self._loop and self._server:
            self._loop.call_soon_threadsafe(self._server.close)
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread:
            self._thread.join(10)

    async def _serve_client(
        self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter
    ) -> None:
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        try:
            while (head := await read_head(client_reader)) is not None:
                sent = time.time()
                body, raw = await self._request_body(head, client_reader, client_writer)
                request = Message(head, body, raw)
                response, upstream = await self._exchange(request, upstream)
                client_writer.write(response.encode())
                await client_writer.drain()
                self._record(sent, request, response)
                if "close" in (response.header("connection") or "").lower():
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            client_writer.close()
            if upstream:
                upstream[1].close()

    @staticmethod
    async def _request_body(
        head: list[str], client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter
    ) -> tuple[bytes, bytes]:
        """Answers `Expect: 100-continue` itself (the header is not signed, and is dropped
        upstream), then reads the body."""
        if (Message(head, b"", b"").header("expect") or "").lower() == "100-continue":
            client_writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            await client_writer.drain()
        return await read_body(client_reader, head)

    async def _exchange(
        self,
        request: Message,
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None,
    ) -> tuple[Message, tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
        """Sends `request` upstream (on a new connection if the kept one was closed meanwhile)
        and reads the whole response."""
        for attempt in (1, 2):
            if upstream is None or upstream[0].at_eof():
                if upstream:
                    upstream[1].close()
                upstream = await asyncio.open_connection(*self.upstream, limit=HEAD_LIMIT)
            reader, writer = upstream
            try:
                writer.write(request.encode(drop=("expect",)))
                await writer.drain()
                head = await read_head(reader)
            except ConnectionError:
                head = None
            if head is not None:
                break
            upstream[1].close()
            upstream = None
            if attempt == 2:
                raise ConnectionError(f"the local AWS at {self.upstream} closed the connection")
        status = int(head[0].split(" ", 2)[1])
        method = request.head[0].split(" ", 1)[0]
        if method == "HEAD" or status in NO_BODY_STATUSES or status < 200:
            return Message(head, b"", b""), upstream
        probe = Message(head, b"", b"")
        if probe.header("content-length") is None and probe.header("transfer-encoding") is None:
            body = await reader.read()
            return Message(head, body, body), upstream
        body, raw = await read_body(reader, head)
        return Message(head, body, raw), upstream

    def _record(self, sent: float, request: Message, response: Message) -> None:
        service, operation = classify(request)
        status = int(response.head[0].split(" ", 2)[1])
        call = Call(sent, time.time(), service, operation, status)
        if call.name in KEPT_BODIES:
            call.request_body, call.response_body = request.body, response.body
        with self._lock:
            self._calls.append(call)
