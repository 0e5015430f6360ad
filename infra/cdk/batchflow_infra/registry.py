"""ECR repositories for the images batchflow runs: scanned on push, tags immutable."""

from aws_cdk import RemovalPolicy
from aws_cdk import aws_ecr as ecr
from constructs import Construct

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
