"""Which image a rule job runs in: the rule's, --batchflow-image, else --container-image."""

import logging
from types import SimpleNamespace

from snakemake.settings.types import RemoteExecutionSettings

from batchflow_executor.executor import Executor
from batchflow_executor.jobspec import rule_override
from batchflow_executor.settings import ExecutorSettings


def executor_with(image: str | None, container_image: str) -> Executor:
    bare = Executor.__new__(Executor)
    bare.settings = ExecutorSettings(job_queue="q", image=image)
    bare.workflow = SimpleNamespace(
        remote_execution_settings=RemoteExecutionSettings(container_image=container_image)
    )
    bare.logger = logging.getLogger("test")
    return bare


def test_snakemakes_container_image_is_used_without_a_batchflow_image() -> None:
    bare = executor_with(None, "registry.example/tools:2")

    assert bare._default_image() == "registry.example/tools:2"


def test_a_batchflow_image_and_a_rules_image_come_first() -> None:
    bare = executor_with("registry.example/task:1", "registry.example/tools:2")
    default = bare._default_image()

    assert default == "registry.example/task:1"
    assert rule_override({"batchflow_image": "rule/img:3"}, "image", default) == "rule/img:3"
