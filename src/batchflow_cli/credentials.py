"""The tokens `batchflow login` keeps: one per service URL, in a file only its owner can read.

The file is `credentials.json` in the user's config folder (`click.get_app_dir`: on Linux
`$XDG_CONFIG_HOME/batchflow`, by default `~/.config/batchflow`), the folder mode 0700, the file
0600, rewritten whole through a temporary file created 0600. Like ssh with a private key, a
file that its group or others may read, or that another user owns, is refused (never used,
never trusted): its tokens may have leaked. BATCHFLOW_TOKEN, when set, wins for every service.
"""

import json
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import click

TOKEN_VARIABLE = "BATCHFLOW_TOKEN"  # noqa: S105 - the variable's name, not a secret
DEFAULT_PORTS = {"http": 80, "https": 443}


class CredentialsError(Exception):
    """The credentials file cannot be used; the message names it and says what to do."""


@dataclass(frozen=True)
class Credential:
    token: str
    source: str
    """Where the token came from, for messages: TOKEN_VARIABLE, or the file's path."""


def credentials_file() -> Path:
    return Path(click.get_app_dir("batchflow")) / "credentials.json"


def normalize_url(url: str) -> str:
    """The key a service's token is kept under: scheme://host:port (lower case, the port
    always named), then the URL's path without its trailing slash."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"{url!r} is not an http:// or https:// URL with a host")
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError:
        raise ValueError(f"{url!r} has a port that is not a number from 0 to 65535") from None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{scheme}://{host}:{port}{parts.path.rstrip('/')}"


def credential_for(url: str) -> Credential | None:
    """BATCHFLOW_TOKEN, else the token stored for `url`, else None."""
    token = os.environ.get(TOKEN_VARIABLE, "").strip()
    if token:
        return Credential(token, TOKEN_VARIABLE)
    try:
        key = normalize_url(url)
    except ValueError:
        return None
    path = credentials_file()
    token = _read(path, check_owner=True).get(key)
    return None if token is None else Credential(token, str(path))


def store_token(url: str, token: str) -> Path:
    """Keeps `token` for the service at `url`; the file it is in."""
    path = credentials_file()
    tokens = _read(path, check_owner=False)
    tokens[normalize_url(url)] = token
    _write(path, tokens)
    return path


def forget_token(url: str) -> Path | None:
    """Removes the token kept for `url`; the file it was in, or None when there was none."""
    path = credentials_file()
    tokens = _read(path, check_owner=False)
    if tokens.pop(normalize_url(url), None) is None:
        return None
    _write(path, tokens)
    return path


def _read(path: Path, check_owner: bool) -> dict[str, str]:
    """The tokens by URL; `check_owner` refuses a file others may read or another user owns
    (writing needs no such check: the file is replaced by one with mode 0600)."""
    try:
        with path.open("rb") as file:
            status = os.fstat(file.fileno())
            content = file.read()
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise CredentialsError(f"cannot read the credentials file {path}: {error}") from None
    if check_owner and hasattr(os, "getuid"):
        if status.st_uid != os.getuid():
            raise CredentialsError(
                f"refusing the credentials file {path}: another user owns it; remove it and "
                "run `batchflow login` again"
            )
        if status.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise CredentialsError(
                f"refusing the credentials file {path}: its mode "
                f"{stat.S_IMODE(status.st_mode):04o} lets others read it, so its tokens may "
                f"have leaked; `chmod 600 {path}`, or remove it and run `batchflow login` again"
            )
    try:
        document = json.loads(content)
    except ValueError as error:
        raise CredentialsError(
            f"the credentials file {path} is not JSON ({error}); remove it and run "
            "`batchflow login` again"
        ) from None
    tokens = document.get("tokens") if isinstance(document, dict) else None
    if not isinstance(tokens, dict) or not all(isinstance(t, str) for t in tokens.values()):
        raise CredentialsError(
            f"the credentials file {path} does not hold a tokens object; remove it and run "
            "`batchflow login` again"
        )
    return tokens


def _write(path: Path, tokens: dict[str, str]) -> None:
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.parent.chmod(0o700)
        _replace(path, json.dumps({"tokens": tokens}, indent=2, sort_keys=True) + "\n")
    except OSError as error:
        raise CredentialsError(f"cannot write the credentials file {path}: {error}") from None


def _replace(path: Path, content: str) -> None:
    """Writes `content` to a new file created 0600 beside `path`, then renames it over `path`:
    the file is whole and owner-only at every moment."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as file:
            if hasattr(os, "fchmod"):
                os.fchmod(file.fileno(), 0o600)  # exactly 0600, whatever the umask
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
