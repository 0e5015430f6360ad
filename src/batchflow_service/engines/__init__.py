"""Engines turn a run request into work: `mock` in-process; `snakemake` and `nextflow` in a
Batch head job (batch_head.py)."""

from .base import Engine, EngineError, OutputFile
from .mock import MockEngine

__all__ = ["Engine", "EngineError", "MockEngine", "OutputFile"]
