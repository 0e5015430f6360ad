"""The distribution the `batchflow` command line is installed from."""

from importlib.metadata import version

DISTRIBUTION = "snakemake-executor-plugin-batchflow"


def installed_version() -> str:
    return version(DISTRIBUTION)
