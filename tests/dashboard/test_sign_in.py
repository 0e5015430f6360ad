"""Signing in and out: an anonymous visitor sees only the sign-in page, and the token lives
in the tab alone."""

import re

from playwright.sync_api import Page, expect

from .conftest import submit


def test_an_anonymous_visitor_of_a_run_page_is_sent_to_sign_in_and_sees_no_run(
    page: Page, service_url: str, api
) -> None:
    run = submit(api, workflow="demo", engine="mock", name="secret-run", params={"steps": 1})

    page.goto(f"{service_url}/ui/runs/{run['id']}")

    expect(page).to_have_url(re.compile(r"/ui/sign-in"))
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.get_by_text("secret-run")).to_have_count(0)
    expect(page.get_by_role("table")).to_have_count(0)


def test_a_wrong_password_is_told_and_signs_nobody_in(
    page: Page, service_url: str, refusals_expected: list[int]
) -> None:
    refusals_expected.append(401)
    page.goto(f"{service_url}/ui/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("alert")).to_contain_text("ncorrect username or password")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)


def test_signing_out_forgets_the_token(sign_in, service_url: str) -> None:
    page = sign_in()
    expect(page.get_by_role("table", name="Runs")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()

    expect(page).to_have_url(re.compile(r"/ui/sign-in"))
    stored = page.evaluate("() => JSON.stringify(Object.assign({}, sessionStorage))")
    assert "eyJ" not in stored
    page.goto(f"{service_url}/ui/")
    expect(page).to_have_url(re.compile(r"/ui/sign-in"))
