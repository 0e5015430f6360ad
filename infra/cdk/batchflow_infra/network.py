"""The VPC: two AZs, public and private subnets, and endpoints so jobs need no NAT for AWS."""

from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from .acknowledgments import LOGS_ENCRYPTED_BY_DEFAULT, acknowledge

INTERFACE_ENDPOINTS = {
    "EcrApi": ec2.InterfaceVpcEndpointAwsService.ECR,
    "EcrDocker": ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
    "Logs": ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
    "Ecs": ec2.InterfaceVpcEndpointAwsService.ECS,
    "EcsAgent": ec2.InterfaceVpcEndpointAwsService.ECS_AGENT,
    "EcsTelemetry": ec2.InterfaceVpcEndpointAwsService.ECS_TELEMETRY,
    "Sts": ec2.InterfaceVpcEndpointAwsService.STS,
    "Batch": ec2.InterfaceVpcEndpointAwsService.BATCH,
    # ECS reads the run service's secrets from here when a task starts.
    "SecretsManager": ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
}


class Network(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, nat_gateways: int) -> None:
        super().__init__(scope, construct_id)
        private = (
            ec2.SubnetType.PRIVATE_WITH_EGRESS if nat_gateways else ec2.SubnetType.PRIVATE_ISOLATED
        )
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            max_azs=2,
            nat_gateways=nat_gateways,
            subnet_configuration=[
                ec2.SubnetConfiguration(
                    name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24
                ),
                ec2.SubnetConfiguration(name="private", subnet_type=private, cidr_mask=20),
            ],
        )
        flow_log = self.vpc.add_flow_log("all", traffic_type=ec2.FlowLogTrafficType.ALL)
        if flow_log.log_group is not None:
            acknowledge(flow_log.log_group, LOGS_ENCRYPTED_BY_DEFAULT, checkov=["CKV_AWS_158"])
        self.private_subnets = ec2.SubnetSelection(subnet_type=private)
        self.vpc.add_gateway_endpoint("S3", service=ec2.GatewayVpcEndpointAwsService.S3)
        for name, service in INTERFACE_ENDPOINTS.items():
            self.add_interface_endpoint(name, service)

    def add_interface_endpoint(
        self, name: str, service: ec2.InterfaceVpcEndpointAwsService
    ) -> ec2.InterfaceVpcEndpoint:
        """Reach an AWS service from the private subnets without a NAT gateway."""
        endpoint = self.vpc.add_interface_endpoint(
            name, service=service, subnets=self.private_subnets, private_dns_enabled=True
        )
        acknowledge(
            endpoint,
            "The endpoint admits HTTPS from the VPC's own CIDR, a token the rule cannot resolve",
            nag=["AwsSolutions-EC23"],
        )
        return endpoint
