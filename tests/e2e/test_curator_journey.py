"""A curator in admin: add a resource, publish it, see it; archive it, and a learner's
percentage is recomputed."""

import pytest
from playwright.sync_api import expect

from tests.e2e.test_learner_journey import bar, checkbox
from tests.progress_helpers import ROADMAP

pytestmark = pytest.mark.usefixtures("seed")

NEW = "Dive into Deep Learning"


def select_in_list(admin, title: str) -> None:
    admin.get_by_role("checkbox", name=f"Select this object for an action - {title}").check()


def test_curator_adds_publishes_and_archives_a_resource(new_page, curator, learner):
    admin = new_page()
    admin.goto("/admin/")  # staff log in through the site's (rate-limited) login
    admin.get_by_label("Username").fill(curator.username)
    admin.get_by_label("Password").fill("correct horse battery staple")
    admin.get_by_role("button", name="Sign In").click()
    expect(admin.get_by_role("heading", name="Site administration")).to_be_visible()

    admin.goto("/admin/roadmap/resource/add/")
    admin.get_by_label("Topic").select_option(label="Machine learning")
    admin.get_by_label("Title").fill(NEW)
    admin.get_by_label("URL").fill("https://d2l.ai/")
    admin.get_by_label("Kind").select_option("book")
    admin.get_by_label("Description").fill("An *interactive* deep learning book.")
    admin.get_by_role("button", name="Save", exact=True).click()
    expect(admin.locator(".messagelist")).to_contain_text("was added successfully")

    visitor = new_page()
    visitor.goto(ROADMAP)
    expect(visitor.get_by_role("link", name=NEW)).to_have_count(0)  # still a draft

    select_in_list(admin, NEW)
    admin.locator("select[name=action]").select_option("publish")
    admin.get_by_role("button", name="Go").click()
    expect(admin.locator(".messagelist")).to_contain_text("Publish: 1 resource(s).")

    visitor.reload()
    expect(visitor.get_by_role("link", name=f"{NEW} (opens in a new tab)")).to_be_visible()

    page = new_page(user=learner)
    page.goto(ROADMAP)
    checkbox(page, NEW).check()
    expect(bar(page, "Overall")).to_have_attribute("aria-valuenow", "16")  # 1 of 6

    select_in_list(admin, NEW)
    admin.locator("select[name=action]").select_option("archive")
    admin.get_by_role("button", name="Go").click()
    expect(admin.locator(".messagelist")).to_contain_text("Archive: 1 resource(s).")

    page.reload()
    expect(bar(page, "Overall")).to_have_attribute("aria-valuenow", "0")  # 0 of 5
    expect(page.get_by_role("link", name=f"{NEW} (opens in a new tab)")).to_have_count(0)
