"""Job definitions: found again by content hash, registered once per distinct spec."""

import threading
from typing import TYPE_CHECKING, Any

from .jobspec import DefinitionSpec

if TYPE_CHECKING:
    from .aws import AwsCaller


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
        newest: dict[str, Any] | None = None
        token: str | None = None
        while True:
            page = self._call(
                f"DescribeJobDefinitions for {spec.name}",
                self._batch.describe_job_definitions,
                jobDefinitionName=spec.name,
                status="ACTIVE",
                **({"nextToken": token} if token else {}),
            )
            for definition in page.get("jobDefinitions", []):
                if newest is None or definition["revision"] > newest["revision"]:
                    newest = definition
            token = page.get("nextToken")
            if not token:
                return newest["jobDefinitionArn"] if newest else None

    def _register(self, spec: DefinitionSpec) -> str:
        registered = self._call(
            f"RegisterJobDefinition {spec.name} (image {spec.image}, {spec.platform})",
            self._batch.register_job_definition,
            **spec.registration(),
        )
        return registered["jobDefinitionArn"]
