"""Engines turn a run request into work: `mock` in-process, `snakemake` through AWS Batch."""

from .base import Engine, EngineError
from .mock import MockEngine

__all__ = ["Engine", "EngineError", "MockEngine"]
