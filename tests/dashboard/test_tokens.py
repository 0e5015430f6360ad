"""Personal access tokens from the dashboard: shown once, working at once, revoked at once."""

import httpx
from playwright.sync_api import expect

from ..service.clients import bearer


def test_a_token_made_on_the_dashboard_works_until_it_is_revoked(sign_in, service_url) -> None:
    page = sign_in()
    page.get_by_role("link", name="Tokens").click()
    page.get_by_label("Token name").fill("ci-pipeline")
    page.get_by_role("button", name="Create token").click()

    shown = page.get_by_label("New token")
    expect(shown).to_contain_text("bfp_")
    token = shown.inner_text().strip()
    token = token[token.index("bfp_") :].split()[0]
    assert httpx.get(f"{service_url}/users/me", headers=bearer(token)).status_code == 200
    expect(page.get_by_role("table", name="Tokens")).to_contain_text("ci-pipeline")

    page.get_by_role("button", name="Revoke ci-pipeline").click()

    expect(page.get_by_role("table", name="Tokens")).not_to_contain_text("ci-pipeline")
    assert httpx.get(f"{service_url}/users/me", headers=bearer(token)).status_code == 401
