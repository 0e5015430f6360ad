"""GET /auth/config: how a browser signs in, told to anyone (it is asked before signing in)."""

from typing import Any

from batchflow_service.app import create_app
from batchflow_service.settings import Settings

from .clients import client_of

ISSUER = "https://login.example.org/realms/lab"
OIDC = {"auth": "oidc", "oidc_issuer": ISSUER, "oidc_audience": "https://batchflow.example.org"}


def sign_in_options(**settings: Any) -> dict[str, Any]:
    with client_of(create_app(Settings(engines=["mock"], **settings))) as client:
        answer = client.get("/auth/config")
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_builtin_sign_in_is_a_password_form_and_needs_no_token() -> None:
    assert sign_in_options() == {"mode": "builtin", "oidc": None}


def test_an_oidc_service_with_a_client_id_tells_the_browser_its_authorization_code_flow() -> None:
    options = sign_in_options(**OIDC, oidc_client_id="batchflow-dashboard")

    assert options == {
        "mode": "oidc",
        "oidc": {
            "issuer": ISSUER,
            "client_id": "batchflow-dashboard",
            "scope": "openid profile",
            "token": "access",
            "resource": "https://batchflow.example.org",
            "name": "login.example.org",
        },
    }


def test_the_scope_and_the_providers_name_come_from_the_settings() -> None:
    options = sign_in_options(
        **OIDC,
        oidc_client_id="batchflow-dashboard",
        oidc_scope="openid email groups",
        oidc_provider_name="Lab Keycloak",
    )

    assert options["oidc"]["scope"] == "openid email groups"
    assert options["oidc"]["name"] == "Lab Keycloak"


def test_a_service_that_takes_id_tokens_asks_for_no_resource() -> None:
    options = sign_in_options(
        **OIDC, oidc_client_id="batchflow-dashboard", oidc_dashboard_token="id"
    )

    assert (options["oidc"]["token"], options["oidc"]["resource"]) == ("id", None)


def test_an_oidc_service_without_a_client_id_offers_the_browser_no_sign_in_flow() -> None:
    assert sign_in_options(**OIDC) == {"mode": "oidc", "oidc": None}


def test_a_client_id_is_not_offered_when_the_service_keeps_its_own_users() -> None:
    options = sign_in_options(oidc_issuer=ISSUER, oidc_client_id="batchflow-dashboard")

    assert options == {"mode": "builtin", "oidc": None}
