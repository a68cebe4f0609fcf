"""Sharing in a real browser: turn it on, open the link elsewhere, regenerate."""

import pytest
from playwright.sync_api import expect

from roadmap.models import Resource
from roadmap.services import progress_set
from tests.e2e.test_learner_journey import bar, serious_violations

pytestmark = pytest.mark.usefixtures("seed")


@pytest.fixture
def ada(learner):
    learner.display_name = "Ada"
    learner.save()
    progress_set(user=learner, resource=Resource.objects.order_by("pk").first(), done=True)
    return learner


def test_share_open_elsewhere_regenerate_and_the_old_link_dies(new_page, ada, live_server):
    page = new_page(user=ada)
    page.goto("/me/sharing/")
    page.evaluate("window.__sameDocument = 'yes'")
    page.get_by_role("button", name="Turn sharing on").click()
    link_field = page.get_by_label("Your share link")
    expect(link_field).to_be_visible()
    old_link = link_field.input_value()
    assert old_link.startswith(f"{live_server.url}/p/")
    assert page.evaluate("window.__sameDocument") == "yes"  # in place, with htmx
    expect(page.get_by_role("button", name="Copy link")).to_be_visible()

    stranger = new_page()
    stranger.goto(old_link)
    expect(stranger.get_by_role("heading", level=1)).to_have_text(
        "Ada is 20% through the Deep Learning Roadmap"
    )
    expect(bar(stranger, "Overall")).to_have_attribute("aria-valuenow", "20")
    expect(stranger.locator("main form")).to_have_count(0)
    assert serious_violations(stranger) == []

    page.get_by_role("link", name="Regenerate link").click()
    page.get_by_role("button", name="Yes, make a new link").click()
    expect(page.get_by_label("Your share link")).not_to_have_value(old_link)
    new_link = page.get_by_label("Your share link").input_value()
    assert page.evaluate("window.__sameDocument") == "yes"
    assert serious_violations(page) == []

    assert stranger.goto(old_link).status == 404
    assert stranger.goto(new_link).status == 200

    page.get_by_role("button", name="Turn sharing off").click()
    expect(page.get_by_role("button", name="Turn sharing on")).to_be_visible()
    assert stranger.goto(new_link).status == 404
    # Each change in place leaves the keyboard on the panel's heading, and is announced
    # by the page's announcer (which stays, so screen readers read what comes into it).
    expect(page.get_by_role("heading", name="Sharing is off")).to_be_focused()
    expect(page.locator("#progress-announcer")).not_to_be_empty()


def test_sharing_settings_work_without_javascript(new_page, ada):
    page = new_page(user=ada, javascript=False)
    page.goto("/me/sharing/")
    page.get_by_role("button", name="Turn sharing on").click()
    expect(page.get_by_label("Your share link")).to_be_visible()
    expect(page.get_by_role("button", name="Copy link")).to_be_hidden()  # needs JavaScript
    old_link = page.get_by_label("Your share link").input_value()
    page.get_by_role("link", name="Regenerate link").click()
    page.get_by_role("button", name="Yes, make a new link").click()
    expect(page.get_by_label("Your share link")).not_to_have_value(old_link)
