"""What the tests need from the machine: missing on a workstation skips, missing in CI fails."""

import os
from typing import NoReturn

import pytest


def missing(message: str) -> NoReturn:
    """CI (`.ci/run`) installs everything, so there a missing prerequisite is a failure."""
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)
