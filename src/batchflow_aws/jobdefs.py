"""Job definitions: one per distinct spec, found again by content hash, registered once."""

import hashlib
import json
import threading
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # botocore loads only when a workflow runs, not on `snakemake --version`
    from .calls import AwsCaller

DEFAULT_MEMORY_MIB = 2048


@dataclass(frozen=True)
class DefinitionSpec:
    """Everything a job definition fixes; jobs that agree on it share one definition."""

    image: str
    platform: str
    job_role: str | None = None
    execution_role: str | None = None
    log_group: str | None = None
    assign_public_ip: bool = False
    ephemeral_storage_gib: int | None = None

    @property
    def digest(self) -> str:
        canonical = json.dumps(asdict(self), sort_keys=True).encode()
        return hashlib.sha256(canonical).hexdigest()[:20]

    @property
    def name(self) -> str:
        return f"batchflow-{self.digest}"

    def registration(self) -> dict[str, Any]:
        fargate = self.platform == "FARGATE"
        container: dict[str, Any] = {
            "image": self.image,
            "resourceRequirements": [
                {"type": "VCPU", "value": "0.25" if fargate else "1"},
                {"type": "MEMORY", "value": "512" if fargate else str(DEFAULT_MEMORY_MIB)},
            ],
        }
        if self.job_role:
            container["jobRoleArn"] = self.job_role
        if self.execution_role:
            container["executionRoleArn"] = self.execution_role
        if self.log_group:
            container["logConfiguration"] = {
                "logDriver": "awslogs",
                "options": {"awslogs-group": self.log_group},
            }
        if fargate:
            container["networkConfiguration"] = {
                "assignPublicIp": "ENABLED" if self.assign_public_ip else "DISABLED"
            }
            container["fargatePlatformConfiguration"] = {"platformVersion": "LATEST"}
            if self.ephemeral_storage_gib:
                container["ephemeralStorage"] = {"sizeInGiB": self.ephemeral_storage_gib}
        return {
            "jobDefinitionName": self.name,
            "type": "container",
            "platformCapabilities": [self.platform],
            "containerProperties": container,
            "propagateTags": True,
            "tags": {"batchflow:spec": self.digest},
        }


class JobDefinitions:
    def __init__(self, batch: Any, call: "AwsCaller") -> None:
        self._batch = batch
        self._call = call
        self._arns: dict[DefinitionSpec, str] = {}
        self._lock = threading.Lock()

    def arn_for(self, spec: DefinitionSpec) -> str:
        with self._lock:
            if spec not in self._arns:
                self._arns[spec] = self._find(spec) or self._register(spec)
            return self._arns[spec]

    def _find(self, spec: DefinitionSpec) -> str | None:
        """The newest ACTIVE revision of this spec's name; the name is the spec's hash."""
        found = self._call.pages(
            f"DescribeJobDefinitions for {spec.name}",
            self._batch,
            "describe_job_definitions",
            "jobDefinitions",
            jobDefinitionName=spec.name,
            status="ACTIVE",
        )
        newest = max(found, key=lambda definition: definition["revision"], default=None)
        return newest["jobDefinitionArn"] if newest else None

    def _register(self, spec: DefinitionSpec) -> str:
        registered = self._call(
            f"RegisterJobDefinition {spec.name} (image {spec.image}, {spec.platform})",
            self._batch.register_job_definition,
            **spec.registration(),
        )
        return registered["jobDefinitionArn"]
