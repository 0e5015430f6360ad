"""An output file as an HTTP response: its bytes as an attachment, or a redirect to S3."""

from urllib.parse import quote

from fastapi.responses import RedirectResponse, Response, StreamingResponse

from ..engines import OutputFile


def output_response(found: OutputFile, path: str) -> Response:
    if found.redirect_url is not None:
        return RedirectResponse(found.redirect_url, status_code=307)
    headers = {
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(path.rsplit('/', 1)[-1])}"
    }
    if found.size is not None:
        headers["Content-Length"] = str(found.size)
    return StreamingResponse(
        found.chunks or iter(()), media_type="application/octet-stream", headers=headers
    )
