"""A provider's button in a real browser: it leaves for the provider's sign-in page under
the site's Content Security Policy (the provider itself stood in for by the browser's
own routing: no network)."""

import copy

import pytest

from tests.test_social_login import PROVIDERS


@pytest.mark.parametrize("listed", [True, False])
def test_a_provider_s_button_reaches_its_sign_in_page_only_where_the_policy_names_it(
    new_page, transactional_db, settings, listed
):
    """The button's form is posted to us and answered by a redirect to GitHub, which the
    browser checks against form-action: with GitHub's origin there (as the settings put
    it, once GitHub is configured) the browser goes; with 'self' alone it stays."""
    settings.SOCIALACCOUNT_PROVIDERS = {"github": PROVIDERS["github"]}
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["form-action"] = ["'self'"] + (
        [settings.PROVIDER_ORIGINS["github"]] if listed else []
    )
    settings.CONTENT_SECURITY_POLICY = policy
    page = new_page()
    reached = []

    def github(route) -> None:
        reached.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<title>GitHub</title>")

    page.route("https://github.com/**", github)
    page.goto("/accounts/github/login/?process=login")
    button = page.get_by_role("button", name="Continue")
    if listed:
        button.click()
        page.wait_for_url("https://github.com/login/oauth/authorize**")
    else:
        with page.expect_console_message(lambda message: "form-action" in message.text):
            button.click()
    assert bool(reached) == listed
