"""A Cognito user pool as the run service's OpenID provider (context `cognito=true`).

Administrators create the users and put each in one of four groups named after the
service's roles; the service reads the groups from the ID token's `cognito:groups` claim.
"""

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from .acknowledgments import acknowledge

# The service's roles, most powerful first; a user in several groups gets the most powerful.
ROLES = ("admin", "maintainer", "launcher", "viewer")
# Where the hosted UI sends the authorization code after sign-in (docs/deploy.md): nothing has
# to listen there, the code is read from the browser's address bar. Cognito admits plain
# http for localhost only.
CALLBACK_URL = "http://localhost:8400/callback"


class CognitoUsers(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.user_pool = cognito.UserPool(
            self,
            "Pool",
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(username=True),
            sign_in_case_sensitive=False,
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True)
            ),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            password_policy=cognito.PasswordPolicy(
                min_length=14,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                password_history_size=5,
                temp_password_validity=Duration.days(3),
            ),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            # Plus: threat protection blocks sign-ins from compromised credentials and risky
            # contexts, for $0.02 a monthly active user (a team of 20: $0.40 a month).
            feature_plan=cognito.FeaturePlan.PLUS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.client = self.user_pool.add_client(
            "Client",
            generate_secret=False,
            auth_flows=cognito.AuthFlow(user_srp=True),
            o_auth=cognito.OAuthSettings(
                # A public client (no secret) proves itself with PKCE: Cognito checks the
                # code_verifier against the sign-in's code_challenge when it hands out tokens.
                flows=cognito.OAuthFlows(authorization_code_grant=True),
                scopes=[cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL],
                callback_urls=[CALLBACK_URL],
            ),
            prevent_user_existence_errors=True,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(30),
        )
        # The hosted UI's address; the prefix must be unique in the region, as accounts are.
        self.domain = self.user_pool.add_domain(
            "Domain",
            cognito_domain=cognito.CognitoDomainOptions(
                domain_prefix=f"{stack.stack_name.lower()}-{stack.account}"
            ),
        )
        self.groups = {
            role: cognito.UserPoolGroup(
                self,
                f"{role.title()}Group",
                user_pool=self.user_pool,
                group_name=role,
                precedence=precedence,
                description=f"batchflow role {role}",
            )
            for precedence, role in enumerate(ROLES)
        }
        acknowledge(
            self.user_pool,
            "MFA is optional (TOTP): the pool's threat protection asks for it on risky "
            "sign-ins, and each team decides whether its users must enrol",
            nag=["AwsSolutions-COG2"],
        )

    @property
    def issuer(self) -> str:
        """The `iss` of the pool's tokens, under which its OpenID configuration is published."""
        stack = Stack.of(self)
        return (
            f"https://cognito-idp.{stack.region}.{stack.url_suffix}/{self.user_pool.user_pool_id}"
        )

    @property
    def login_url(self) -> str:
        return self.domain.base_url()

    def service_environment(self) -> dict[str, str]:
        """The run service's settings for accepting this pool's ID tokens (aud: the client)."""
        return {
            "BATCHFLOW_AUTH": "oidc",
            "BATCHFLOW_OIDC_ISSUER": self.issuer,
            "BATCHFLOW_OIDC_AUDIENCE": self.client.user_pool_client_id,
            "BATCHFLOW_OIDC_ROLE_CLAIM": "cognito:groups",
            "BATCHFLOW_OIDC_USERNAME_CLAIM": "cognito:username",
        }
