"""Makes `snakemake --executor batchflow` find batchflow's executor."""

from batchflow_executor.executor import Executor
from batchflow_executor.settings import ExecutorSettings, common_settings

__all__ = ["Executor", "ExecutorSettings", "common_settings"]
