"""A failed job's whole log, kept on disk where Snakemake's user can open it."""

from pathlib import Path

LOG_DIRECTORY = Path(".snakemake") / "batchflow" / "logs"


def save_log(name: str, messages: list[str], directory: Path = LOG_DIRECTORY) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.log"
    path.write_text("".join(f"{message}\n" for message in messages))
    return path
