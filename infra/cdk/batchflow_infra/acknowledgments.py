"""Findings of cdk-nag and checkov that batchflow accepts, recorded next to the resource.

cdk-nag reads `Validations.of(scope).acknowledge`, which covers `scope` and everything under
it; checkov reads the `checkov` metadata of one CloudFormation resource.
"""

from collections.abc import Iterable

from aws_cdk import Acknowledgment, CfnResource, Validations
from constructs import IConstruct

NAG_PACK = "AwsSolutions"
LOGS_ENCRYPTED_BY_DEFAULT = (
    "CloudWatch Logs encrypts log data at rest by default; batchflow lets IAM alone decide "
    "who reads logs, so a customer-managed key would add cost and key-policy upkeep only"
)


def acknowledge(
    scope: IConstruct,
    reason: str,
    *,
    nag: Iterable[str] = (),
    checkov: Iterable[str] = (),
) -> None:
    """Accept the cdk-nag rules `nag` (e.g. "AwsSolutions-IAM5[Resource::*]") on `scope` and the
    checkov checks `checkov` (e.g. "CKV_AWS_18") on its CloudFormation resource, for `reason`."""
    for rule in nag:
        Validations.of(scope).acknowledge(Acknowledgment(id=f"{NAG_PACK}::{rule}", reason=reason))
    checks = list(checkov)
    if checks:
        resource = cfn_resource(scope)
        metadata = resource.get_metadata("checkov") or {"skip": []}
        metadata["skip"].extend({"id": check, "comment": reason} for check in checks)
        resource.add_metadata("checkov", metadata)


def cfn_resource(scope: IConstruct) -> CfnResource:
    resource = scope if isinstance(scope, CfnResource) else scope.node.default_child
    if not isinstance(resource, CfnResource):
        raise TypeError(f"{scope.node.path} has no CloudFormation resource to annotate")
    return resource
