"""The snakemake engine: Snakemake with the batchflow executor, in a Batch head job."""

from .engine import SnakemakeEngine

__all__ = ["SnakemakeEngine"]
