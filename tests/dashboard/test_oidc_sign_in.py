"""Signing in to the dashboard through a real OpenID provider (oidc-provider): the
authorization-code flow with PKCE, from the button to a page of the caller's own."""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from ..cli.serve_processes import serve_environment, start_serve
from ..service.oidc_provider import AUDIENCE, DASHBOARD_CLIENT_ID, running_oidc_provider
from .conftest import unused_port


@pytest.fixture
def oidc_service(tmp_path: Path) -> Iterator[str]:
    """`batchflow serve` that trusts the provider, whose dashboard client redirects to it."""
    port = unused_port()
    url = f"http://127.0.0.1:{port}"
    with running_oidc_provider(dashboard_redirect=f"{url}/ui/callback") as provider:
        environment = serve_environment(tmp_path)
        environment.update(
            BATCHFLOW_AUTH="oidc",
            BATCHFLOW_OIDC_ISSUER=provider.issuer,
            BATCHFLOW_OIDC_AUDIENCE=AUDIENCE,
            BATCHFLOW_OIDC_CLIENT_ID=DASHBOARD_CLIENT_ID,
            BATCHFLOW_OIDC_PROVIDER_NAME="Test IdP",
            BATCHFLOW_ENGINES='["mock"]',
        )
        del environment["BATCHFLOW_CATALOG_DIR"]
        process = start_serve(port, tmp_path / "state", environment, tmp_path / "serve.log")
        try:
            yield url
        finally:
            process.terminate()
            process.wait(timeout=60)


def test_a_visitor_signs_in_with_the_provider_and_gets_their_role(
    page: Page, oidc_service: str, refusals_expected: list[int]
) -> None:
    refusals_expected.append(404)  # the provider's own pages have no /favicon.ico
    page.goto(f"{oidc_service}/ui/")
    page.get_by_role("button", name="Sign in with Test IdP").click()

    # The provider's own login and consent pages (tests/service/oidc/provider.mjs).
    page.locator("input[name=login]").fill("olga")
    page.locator("textarea[name=claims]").fill('{"groups": ["launcher"]}')
    page.get_by_role("button", name="continue").click()
    page.get_by_role("button", name="continue").click()

    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/ui/?$"))
    expect(page.get_by_text("olga")).not_to_have_count(0)
    page.get_by_role("link", name="New run").click()
    expect(page.get_by_label("Workflow")).to_be_visible()
    expect(page.get_by_label("Workflow files")).to_have_count(0)
