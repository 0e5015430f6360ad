"""How many Spot retries a job's SubmitJob asks for: preemptible rules, and groups of them."""

from types import SimpleNamespace
from typing import Any

import pytest

from batchflow_executor.executor import Executor
from batchflow_executor.settings import ExecutorSettings


class Preemptible:
    def __init__(self, rules: set[str]) -> None:
        self.rules = rules

    def is_preemptible(self, rule: str) -> bool:
        return rule in self.rules


def executor(preemptible: set[str]) -> Any:
    bare = Executor.__new__(Executor)
    bare.settings = ExecutorSettings(job_queue="q", image="i", spot_retries=1)
    remote = SimpleNamespace(preemptible_rules=Preemptible(preemptible), preemptible_retries=5)
    bare.workflow = SimpleNamespace(remote_execution_settings=remote)
    return bare


def rule_job(name: str) -> Any:
    return SimpleNamespace(name=name, is_group=lambda: False)


def group_job(*rules: str) -> Any:
    return SimpleNamespace(
        name="_".join(rules), is_group=lambda: True, jobs=[rule_job(r) for r in rules]
    )


@pytest.mark.parametrize(
    ("job", "expected"),
    [
        (rule_job("align"), 5),
        (rule_job("report"), 1),
        (group_job("align", "sort"), 5),
        (group_job("align", "report"), 1),
    ],
    ids=["preemptible rule", "other rule", "group of preemptible rules", "mixed group"],
)
def test_spot_retries_follow_preemptible_rules_and_groups_of_them(job, expected) -> None:
    assert executor({"align", "sort"})._spot_retries(job) == expected
