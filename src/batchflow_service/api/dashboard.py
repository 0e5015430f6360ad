"""The dashboard at /ui/: the built single-page app, its hashed assets cached for a year,
index.html never, every page under a Content-Security-Policy that runs only its own scripts."""

from pathlib import Path
from urllib.parse import urlsplit

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from ..settings import Settings
from .errors import error_response

INSTALLED = Path(__file__).resolve().parents[1] / "dashboard"
CHECKOUT = Path(__file__).resolve().parents[3] / "frontend" / "dist"
HASHED_ASSETS = "assets/"
LONG_CACHE = "public, max-age=31536000, immutable"

NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>batchflow: dashboard not built</title></head>
<body><h1>The dashboard is not built</h1>
<p>This installation carries no built dashboard (it was installed where Node.js was not).
The API works: see <a href="/docs">/docs</a>.</p>
<p>To build the dashboard, install Node.js 20 or newer and npm, then either reinstall
(<code>pip install -e '.[server]'</code> in a checkout builds it), or build it by hand:
<code>cd frontend &amp;&amp; npm ci &amp;&amp; npm run build</code>, and restart the service.</p>
</body></html>
"""


def default_dashboard_dir() -> Path:
    """The dashboard a wheel carries inside this package, else a checkout's frontend/dist."""
    return INSTALLED if (INSTALLED / "index.html").is_file() else CHECKOUT


def content_security_policy(settings: Settings) -> str:
    connect = ["'self'"]
    if settings.auth == "oidc" and settings.oidc_client_id and settings.oidc_issuer:
        for url in (settings.oidc_issuer, *settings.oidc_token_origins):
            parts = urlsplit(url)
            connect.append(f"{parts.scheme}://{parts.netloc}")
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            f"connect-src {' '.join(connect)}",
            "object-src 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'self'",
        ]
    )


def dashboard_router(settings: Settings) -> APIRouter:
    root = (settings.dashboard_dir or default_dashboard_dir()).resolve()
    policy = content_security_policy(settings)
    router = APIRouter(include_in_schema=False)

    def secured(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = policy
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        return response

    @router.api_route("/", methods=["GET", "HEAD"])
    async def home() -> Response:
        return RedirectResponse("/ui/", status_code=307)

    @router.api_route("/ui", methods=["GET", "HEAD"])
    async def dashboard_root() -> Response:
        return RedirectResponse("/ui/", status_code=307)

    @router.api_route("/ui/{path:path}", methods=["GET", "HEAD"])
    async def dashboard(path: str) -> Response:
        index = root / "index.html"
        if not index.is_file():
            return secured(HTMLResponse(NOT_BUILT, status_code=503))
        file = _file_under(root, path)
        if file is not None:
            cache = LONG_CACHE if path.startswith(HASHED_ASSETS) else "no-cache"
            return secured(FileResponse(file, headers={"Cache-Control": cache}))
        if path.startswith(HASHED_ASSETS):
            return secured(error_response(404, f"the dashboard has no file {path[:200]!r}"))
        # Any other path is one of the app's own pages: index.html routes it in the browser.
        return secured(FileResponse(index, headers={"Cache-Control": "no-cache"}))

    return router


def _file_under(root: Path, path: str) -> Path | None:
    """The file `path` names inside `root`; None for a folder, a missing file, or a path that
    leaves `root`."""
    if not path or "\x00" in path or "\\" in path:
        return None
    try:
        candidate = (root / path).resolve()
        if not candidate.is_relative_to(root) or not candidate.is_file():
            return None
    except OSError:  # a name longer than the file system allows, ...
        return None
    return candidate
