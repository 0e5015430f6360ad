"""The run service's own secrets, generated into Secrets Manager and handed to it by ECS.

The signing key must be one value for every service task behind the load balancer (each
verifies the tokens the others issued). The admin password is the one user `admin` is
created with when the service's store has no user; with OIDC, Cognito keeps the users and
there is none.
"""

from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from .acknowledgments import acknowledge

# Letters and digits only: the values travel as environment variables and in shell commands.
SIGNING_KEY_LENGTH = 64
ADMIN_PASSWORD_LENGTH = 32


class ServiceSecrets(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, admin_password: bool) -> None:
        super().__init__(scope, construct_id)
        self.signing_key = secretsmanager.Secret(
            self,
            "SigningKey",
            description="batchflow: the HS256 key the run service signs its tokens with",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=SIGNING_KEY_LENGTH, exclude_punctuation=True
            ),
        )
        self.admin_password = (
            secretsmanager.Secret(
                self,
                "AdminPassword",
                description="batchflow: the password user admin is created with",
                generate_secret_string=secretsmanager.SecretStringGenerator(
                    password_length=ADMIN_PASSWORD_LENGTH,
                    exclude_punctuation=True,
                    require_each_included_type=True,
                ),
            )
            if admin_password
            else None
        )
        for secret in self.secrets:
            self._acknowledge_findings(secret)

    @property
    def secrets(self) -> list[secretsmanager.Secret]:
        return [s for s in (self.signing_key, self.admin_password) if s is not None]

    def container_secrets(self) -> dict[str, ecs.Secret]:
        """The service's environment variables that ECS fills from Secrets Manager at task start;
        adding them to a container grants its execution role (only) read access."""
        secrets = {"BATCHFLOW_SECRET_KEY": ecs.Secret.from_secrets_manager(self.signing_key)}
        if self.admin_password:
            secrets["BATCHFLOW_ADMIN_PASSWORD"] = ecs.Secret.from_secrets_manager(
                self.admin_password
            )
        return secrets

    @staticmethod
    def _acknowledge_findings(secret: secretsmanager.Secret) -> None:
        acknowledge(
            secret,
            "ECS reads the value only when a service task starts, so rotating it means "
            "updating the value and restarting the service (docs/deploy.md, 'Rotating the "
            "service's secrets'); a rotation Lambda could not restart the tasks, and a new "
            "signing key ends every token signed with the old one",
            nag=["AwsSolutions-SMG4"],
        )
        acknowledge(
            secret,
            "Secrets Manager encrypts it with the AWS-managed key; IAM alone decides who reads "
            "it (the run service's execution role), no key policy is needed as a second gate",
            checkov=["CKV_AWS_149"],
        )
