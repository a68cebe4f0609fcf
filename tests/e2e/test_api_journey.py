"""The personal API from a learner's side: a token made on /me/tokens/ in a browser sets
a state a script sends, which the roadmap page then shows; revoked, it opens nothing. The
API's docs work within the site's Content Security Policy."""

import json
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from api.models import Token, digest_of
from roadmap.models import Resource
from tests.e2e.test_curation_journey import audit
from tests.e2e.test_learner_journey import PYTHON_BOOK, checkbox
from tests.progress_helpers import ROADMAP

pytestmark = pytest.mark.usefixtures("seed")


def call(base: str, method: str, path: str, token: str, body: dict | None = None) -> int:
    request = urllib.request.Request(
        base + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_a_token_made_on_the_page_sets_progress_from_a_script(new_page, learner, live_server):
    page = new_page(user=learner)
    page.goto("/me/profile/")
    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Name").fill("My editor plugin")
    page.get_by_label("Scope").select_option(label="Read and write")
    page.get_by_role("button", name="Create token").click()
    field = page.get_by_label("Your new token")
    expect(field).to_have_attribute("readonly", "")
    token = field.input_value()
    assert token.startswith("dlr_")
    expect(page.get_by_role("button", name="Copy token")).to_be_visible()
    assert Token.objects.filter(user=learner).count() == 1
    assert Token.objects.get(user=learner).digest == digest_of(token)

    book = Resource.objects.get(title=PYTHON_BOOK)
    path = f"/api/v1/me/progress/{book.public_id}"
    assert call(live_server.url, "PUT", path, token, {"state": "done"}) == 200
    page.goto(ROADMAP)
    expect(checkbox(page, PYTHON_BOOK)).to_be_checked()

    page.goto("/me/tokens/")
    expect(page.get_by_label("Your new token")).to_have_count(0)  # shown once only
    row = page.get_by_role("row", name="My editor plugin")
    expect(row).not_to_contain_text("Never used")
    row.get_by_role("button", name="Revoke").click()
    expect(page.get_by_text("Token “My editor plugin” revoked")).to_be_visible()
    assert call(live_server.url, "GET", "/api/v1/me/progress", token) == 401


def test_the_docs_run_within_the_content_security_policy(new_page, learner):
    page = new_page()
    refused = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.goto("/api/v1/docs")
    expect(page.get_by_role("heading", name="Deep Learning Roadmap API")).to_be_visible()
    expect(page.get_by_text("/api/v1/me/progress/{public_id}")).to_be_visible()
    assert refused == []
    audit(new_page(user=learner), ["/me/tokens/"])
