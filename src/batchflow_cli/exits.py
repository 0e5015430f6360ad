"""The exit codes of `batchflow`, and how an error from the service becomes one."""

from collections.abc import Iterator
from contextlib import contextmanager
from enum import IntEnum
from typing import NoReturn

import typer

from .client import NotAuthenticatedError, ServiceError, ServiceUnreachableError
from .credentials import CredentialsError


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1
    """A run that ended other than COMPLETE, or an error not named below."""
    USAGE = 2
    """Bad arguments (click's own code), or a workflow that cannot run as asked."""
    NOT_FOUND = 3
    """No such run (HTTP 404 from the service), or no such catalog workflow."""
    UNREACHABLE = 4
    """The service could not be reached, or stopped answering."""
    NOT_AUTHENTICATED = 5
    """The service answered 401 (not logged in, or the token expired or was revoked), or the
    credentials file cannot be used: `batchflow login` again."""


def fail(message: str, code: ExitCode = ExitCode.FAILED) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def exit_code_for(error: ServiceError) -> ExitCode:
    if isinstance(error, ServiceUnreachableError):
        return ExitCode.UNREACHABLE
    if isinstance(error, NotAuthenticatedError):
        return ExitCode.NOT_AUTHENTICATED
    if error.status_code == 404:
        return ExitCode.NOT_FOUND
    return ExitCode.FAILED


@contextmanager
def service_errors_reported() -> Iterator[None]:
    """Turns a ServiceError (or an unusable credentials file) into one line on stderr and the
    exit code that matches it."""
    try:
        yield
    except ServiceError as error:
        fail(f"batchflow: {error}", exit_code_for(error))
    except CredentialsError as error:
        fail(f"batchflow: {error}", ExitCode.NOT_AUTHENTICATED)
