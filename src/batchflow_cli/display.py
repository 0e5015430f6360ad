"""How a run and its tasks read in a terminal. Values are Text, never markup: a reason or a
wildcard holding `[red]` is shown as it is."""

import json
from typing import Any

from rich.table import Table
from rich.text import Text


def run_summary(run: dict[str, Any]) -> Table:
    outputs = run.get("outputs") or {}
    files = outputs.get("files") or []
    rows = {
        "run": run["id"],
        "name": run.get("name"),
        "workflow": f"{run['workflow']} ({run['engine']})",
        "state": run["state"],
        "reason": run.get("reason"),
        "created": run.get("created_at"),
        "started": run.get("started_at"),
        "ended": run.get("ended_at"),
        "params": json.dumps(run["params"]) if run.get("params") else None,
        "tags": ", ".join(f"{k}={v}" for k, v in (run.get("tags") or {}).items()) or None,
        "head job": run.get("head_job_id"),
        "outputs": f"{len(files)} files under {outputs.get('prefix')}" if files else None,
    }
    summary = Table.grid(padding=(0, 2))
    summary.add_column(style="bold")
    summary.add_column(overflow="fold")
    for label, value in rows.items():
        if value:
            summary.add_row(label, Text(str(value)))
    return summary


def task_table(tasks: list[dict[str, Any]]) -> Table:
    table = Table("rule", "wildcards", "state", "attempt", "exit code", "Batch job")
    for column in table.columns:
        column.overflow = "fold"
    for task in tasks:
        wildcards = ", ".join(f"{k}={v}" for k, v in task["wildcards"].items())
        exit_code = task.get("exit_code")
        table.add_row(
            Text(task["name"]),
            Text(wildcards),
            Text(task["state"]),
            Text(str(task.get("attempt", ""))),
            Text("" if exit_code is None else str(exit_code)),
            Text(task.get("batch_job_id") or ""),
        )
    return table
