"""GET /downloads/{token}: an output file, for whoever holds a link from POST
/runs/{id}/download-links (a browser cannot send an Authorization header when it navigates)."""

import logging
import re

from fastapi import APIRouter
from fastapi.responses import Response

from ..auth.identity import InvalidTokenError
from ..models import ErrorResponse
from .deps import AuthenticatorDep, RunsDep, unauthorized
from .output_files import output_response
from .storable_input import StorableInputRoute

router = APIRouter(prefix="/downloads", tags=["runs"], route_class=StorableInputRoute)
LINK_PATH = re.compile(r"^/downloads/[^/?]+")


class RedactDownloadLinks(logging.Filter):
    """Keeps the links, which work without any other credential, out of the access log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(
            isinstance(arg, str) and arg.startswith("/downloads/") for arg in record.args
        ):
            record.args = tuple(
                LINK_PATH.sub("/downloads/[link]", arg) if isinstance(arg, str) else arg
                for arg in record.args
            )
        return True


def redact_access_log() -> None:
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(known, RedactDownloadLinks) for known in logger.filters):
        logger.addFilter(RedactDownloadLinks())


@router.get(
    "/{token}",
    response_class=Response,
    responses={
        200: {"content": {"application/octet-stream": {}}, "description": "The file's content"},
        307: {"description": "Where S3 is AWS's own: a presigned URL to fetch the file from"},
        401: {"model": ErrorResponse, "description": "The link is forged or has expired"},
        404: {"model": ErrorResponse, "description": "The run or file is gone from view"},
    },
)
async def download(token: str, authenticator: AuthenticatorDep, runs: RunsDep) -> Response:
    try:
        grant = await authenticator.download_grant(token)
    except InvalidTokenError:
        raise unauthorized(
            "this download link is invalid or has expired; ask for a new one", "invalid_token"
        ) from None
    found = await runs.output_file(grant.holder, grant.run_id, grant.path)
    response = output_response(found, grant.path)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
