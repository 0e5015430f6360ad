"""The nextflow engine: Nextflow's awsbatch executor in a Batch head job, tasks by nf-weblog."""

from .engine import NextflowEngine

__all__ = ["NextflowEngine"]
