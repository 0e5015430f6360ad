"""`batchflow login | logout | whoami`: the token this machine sends to a service, and whose."""

import getpass
import json
import os
import sys
from typing import Annotated, Any, NoReturn
from urllib.parse import urlsplit

import typer

from batchflow_service.loopback import is_loopback

from ..client import NotAuthenticatedError, ServiceClient, ServiceError
from ..credentials import (
    TOKEN_VARIABLE,
    Credential,
    CredentialsError,
    credential_for,
    forget_token,
    normalize_url,
    store_token,
)
from ..exits import ExitCode, fail, service_errors_reported
from ..options import DEFAULT_URL, JsonOutput, ServiceUrl


def login(
    url: ServiceUrl = DEFAULT_URL,
    username: Annotated[
        str | None,
        typer.Option(
            help="The user to log in as; prompted for (default: your local user name) when "
            "not given.",
            show_default=False,
        ),
    ] = None,
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin",
            help="Read the password from stdin instead of prompting (for scripts; needs "
            "--username).",
        ),
    ] = False,
    token: Annotated[
        str | None,
        typer.Option(
            help="Store this token (a personal access token, or an OpenID provider's) instead "
            "of logging in with a password; `-` reads it from stdin.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Log in to a service and store its token for the commands that follow."""
    _check_url(url, "login")
    if token is not None:
        if username is not None or password_stdin:
            fail(
                "batchflow login: --token names its own user; it takes no --username or "
                "--password-stdin",
                ExitCode.USAGE,
            )
        credential = Credential(_read_token(token), "--token")
        expires_in = None
    else:
        credential, expires_in = _log_in_with_password(url, username, password_stdin)
    me = _whom(url, credential)
    try:
        path = store_token(url, credential.token)
    except CredentialsError as error:
        fail(f"batchflow login: {error}")
    lasts = f"; it expires in {_duration(expires_in)}" if expires_in else ""
    typer.echo(
        f"Logged in to {url} as {me['name']} ({me['role']}); token stored in {path} "
        f"(mode 0600){lasts}"
    )
    if os.environ.get(TOKEN_VARIABLE, "").strip():
        typer.echo(
            f"batchflow login: {TOKEN_VARIABLE} is set, and is sent instead of the stored "
            "token until you unset it",
            err=True,
        )


def logout(url: ServiceUrl = DEFAULT_URL) -> None:
    """Remove the token stored for a service."""
    _check_url(url, "logout")
    try:
        path = forget_token(url)
    except CredentialsError as error:
        fail(f"batchflow logout: {error}")
    if path is None:
        typer.echo(f"No token is stored for {url}")
    else:
        typer.echo(f"Logged out of {url}: its token was removed from {path}")
    if os.environ.get(TOKEN_VARIABLE, "").strip():
        typer.echo(
            f"batchflow logout: {TOKEN_VARIABLE} is set, and is still sent until you unset it",
            err=True,
        )


def whoami(json_output: JsonOutput = False, url: ServiceUrl = DEFAULT_URL) -> None:
    """Who the service takes you for: your user name and role, and where the token came from."""
    with service_errors_reported():
        credential = credential_for(url)
        with ServiceClient(url, credential=credential) as client:
            me = client.me()
    if json_output:
        typer.echo(json.dumps(me, indent=2))
        return
    if me.get("via") == "none":
        how = "authentication is off"
    else:
        how = f"{me.get('via')} token" + (f", from {credential.source}" if credential else "")
    typer.echo(f"{me['name']} ({me['role']}) at {url} ({how})")


def _check_url(url: str, command: str) -> None:
    try:
        normalize_url(url)
    except ValueError as error:
        fail(f"batchflow {command}: --url {error}", ExitCode.USAGE)
    parts = urlsplit(url)
    if parts.scheme == "http" and not is_loopback(parts.hostname or ""):
        typer.echo(
            f"batchflow {command}: warning: {url} is plain http; passwords and tokens cross "
            "the network unencrypted (use https beyond this machine)",
            err=True,
        )


def _read_token(token: str) -> str:
    from_stdin = token == "-"  # noqa: S105 - `-` means stdin, it is no token
    token = (sys.stdin.read() if from_stdin else token).strip()
    if not token or any(character.isspace() for character in token):
        fail("batchflow login: --token must be one word, without spaces", ExitCode.USAGE)
    return token


def _log_in_with_password(
    url: str, username: str | None, password_stdin: bool
) -> tuple[Credential, int | None]:
    """The session token from POST /auth/token, and how many seconds it lasts."""
    if password_stdin:
        if username is None:
            fail("batchflow login: --password-stdin needs --username", ExitCode.USAGE)
        password = sys.stdin.read().removesuffix("\n").removesuffix("\r")
    else:
        username = username or typer.prompt("Username", default=_local_user_name())
        password = typer.prompt("Password", hide_input=True)
    if not password:
        fail("batchflow login: the password is empty", ExitCode.USAGE)
    with service_errors_reported(), ServiceClient(url) as client:
        try:
            session = client.log_in(username, password)
        except ServiceError as error:
            _login_failed(url, "/auth/token", error)
    expires_in = session.get("expires_in")
    return Credential(session["access_token"], "POST /auth/token"), (
        expires_in if isinstance(expires_in, int) else None
    )


def _whom(url: str, credential: Credential) -> dict[str, Any]:
    with service_errors_reported(), ServiceClient(url, credential=credential) as client:
        try:
            return client.me()
        except NotAuthenticatedError:
            fail(
                f"batchflow login: login failed: {url} refused the token (it expired, was "
                "revoked, or is not one of its tokens)"
            )
        except ServiceError as error:
            _login_failed(url, "/users/me", error)


def _login_failed(url: str, path: str, error: ServiceError) -> NoReturn:
    """Says why a login failed and exits, unless the service could not be reached (the caller's
    service_errors_reported says that)."""
    if error.status_code is None:
        raise error
    if error.status_code == 404:
        fail(
            f"batchflow login: login failed: {url} has no {path}; it is not a batchflow service, "
            "or one older than its authentication"
        )
    fail(f"batchflow login: login failed: {error}")


def _local_user_name() -> str | None:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return None


def _duration(seconds: int) -> str:
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"
