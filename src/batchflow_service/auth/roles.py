"""The four roles, and what each may do."""

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    """Everything: every run, users."""
    MAINTAINER = "maintainer"
    """Submits catalog and uploaded workflows; sees and cancels its own runs."""
    LAUNCHER = "launcher"
    """Submits catalog workflows with parameters only; sees and cancels its own runs."""
    VIEWER = "viewer"
    """Reads every run; submits and cancels nothing."""


def sees_all_runs(role: Role) -> bool:
    return role in (Role.ADMIN, Role.VIEWER)


def may_submit(role: Role) -> bool:
    return role != Role.VIEWER


def may_upload(role: Role) -> bool:
    """May submit uploaded files or a workflow that is not in the catalog."""
    return role in (Role.ADMIN, Role.MAINTAINER)
