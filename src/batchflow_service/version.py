"""This installation's version, as the distribution records it."""

from importlib.metadata import PackageNotFoundError, version

DISTRIBUTION = "snakemake-executor-plugin-batchflow"


def installed_version() -> str:
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"
