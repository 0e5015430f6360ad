"""ECR repositories for the images batchflow runs: scanned on push, tags immutable."""

from aws_cdk import RemovalPolicy
from aws_cdk import aws_ecr as ecr
from constructs import Construct

from .acknowledgments import acknowledge

IMAGES = ("service", "head", "task", "nextflow-head")


class Registry(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.repositories = {
            image: ecr.Repository(
                self,
                image.title().replace("-", ""),
                repository_name=f"batchflow/{image}",
                image_scan_on_push=True,
                image_tag_mutability=ecr.TagMutability.IMMUTABLE,
                lifecycle_rules=[ecr.LifecycleRule(max_image_count=50)],
                removal_policy=RemovalPolicy.RETAIN,
            )
            for image in IMAGES
        }
        for repository in self.repositories.values():
            acknowledge(
                repository,
                "ECR encrypts images at rest with AES-256 by default; they hold batchflow's code "
                "and tools, no data, so a customer-managed key would add cost but no protection",
                checkov=["CKV_AWS_136"],
            )
