"""Requests a hostile client can send and an ordinary client library would not: JSON with NaN
and unpaired surrogate escapes, and multipart forms in a charset of the client's choosing
(UTF-7 carries NUL and lone surrogates in plain text fields and file names)."""

import json
import uuid
from typing import Any

JSON = {"content-type": "application/json"}


def json_body(value: Any) -> bytes:
    """`value` as JSON, whatever it holds: NaN and Infinity as those words, a lone surrogate
    as its \\u escape."""
    return json.dumps(value).encode()


def multipart(
    fields: list[tuple[str, str]],
    files: list[tuple[str, str, bytes]] = (),  # type: ignore[assignment]
    charset: str = "utf-8",
) -> tuple[bytes, dict[str, str]]:
    """A multipart/form-data body whose text fields and file names are encoded in `charset`
    (any text, in UTF-7; invalid UTF-8 for a surrogate in UTF-8), and its content type."""
    boundary = f"hostile-{uuid.uuid4().hex}"

    def encoded(text: str) -> bytes:
        return text.encode(charset, errors="surrogatepass" if charset == "utf-8" else "strict")

    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        + encoded(value)
        + b"\r\n"
        for name, value in fields
    ]
    parts += [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="'.encode()
        + encoded(filename)
        + b'"\r\nContent-Type: application/octet-stream\r\n\r\n'
        + content
        + b"\r\n"
        for name, filename, content in files
    ]
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, {"content-type": f"multipart/form-data; charset={charset}; boundary={boundary}"}
