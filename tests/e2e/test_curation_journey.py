"""The curators' loop in a browser: a learner's suggestion becomes a resource through the
queue; a report reaches a curator and is closed; the pages pass axe."""

import re

import pytest
from playwright.sync_api import expect

from curation.insights import insights_refresh
from curation.models import Suggestion
from roadmap.models import Resource, Roadmap
from tests.e2e.test_learner_journey import PYTHON_BOOK, checkbox, serious_violations, settled
from tests.progress_helpers import ROADMAP

pytestmark = pytest.mark.usefixtures("seed")

NEW = "Dive into Deep Learning"
DATA_SCIENCE = "Data Science from Scratch, 2nd Edition"


def act_on(admin, title: str, action: str) -> None:
    admin.get_by_role("checkbox", name=f"Select this object for an action - {title}").check()
    admin.locator("select[name=action]").select_option(label=action)


def test_a_suggestion_becomes_a_resource_through_the_queue(new_page, learner, curator):
    learner.display_name = "Ada L."
    learner.save()
    page = new_page(user=learner)
    page.goto(ROADMAP)
    page.get_by_role("link", name="Suggest a resource for Machine learning").click()
    page.get_by_label("URL").fill(
        "https://www.oreilly.com/library/view/data-science-from/9781492041122"
    )
    page.get_by_label("Title").fill("The same book")
    page.get_by_label("Why it belongs").fill("It is good.")
    page.get_by_role("button", name="Send suggestion").click()
    expect(page.get_by_text("It is already listed in this roadmap")).to_be_visible()
    expect(page.get_by_role("link", name=DATA_SCIENCE).first).to_be_visible()

    page.get_by_label("URL").fill("https://d2l.ai/")
    page.get_by_label("Title").fill(NEW)
    page.get_by_label("Why it belongs").fill("An *interactive* book, free, with code.")
    page.get_by_label("Credit me by my display name").check()
    page.get_by_role("button", name="Send suggestion").click()
    expect(page.get_by_text("your suggestion was sent to the curators")).to_be_visible()
    expect(page.locator("#progress-announcer")).to_contain_text(
        "Your suggestion for Machine learning was sent."
    )
    page.goto("/me/")
    suggestions = page.get_by_role("region", name="Your suggestions")
    expect(suggestions).to_contain_text(NEW)
    expect(suggestions).to_contain_text("Pending")

    admin = new_page(user=curator)
    admin.goto("/admin/curation/suggestion/")
    expect(admin.get_by_role("cell", name="Ada L.")).to_be_visible()
    act_on(admin, NEW, "Accept selected suggestions")
    admin.get_by_label("Publish accepted suggestions at once").check()
    admin.get_by_role("button", name="Go").click()
    expect(admin.locator(".messagelist")).to_contain_text("1 accepted, as published resources.")

    page.goto(ROADMAP)
    expect(page.get_by_role("link", name=f"{NEW} (opens in a new tab)")).to_be_visible()
    expect(page.get_by_text("Suggested by Ada L.")).to_be_visible()
    checkbox(page, NEW).check()  # a resource like any other
    settled(page)
    page.goto("/me/")
    suggestions = page.get_by_role("region", name="Your suggestions")
    expect(suggestions).to_contain_text("Accepted")
    expect(suggestions.get_by_role("link", name=NEW)).to_be_visible()


def test_a_report_reaches_a_curator_and_is_closed(new_page, learner, curator):
    visitor = new_page(javascript=False)
    visitor.goto(ROADMAP)
    visitor.get_by_role("link", name=f"Report a problem with {PYTHON_BOOK}").click()
    visitor.get_by_label("What is wrong").select_option(label="The link is broken")
    visitor.get_by_role("button", name="Send report").click()
    expect(visitor.get_by_text("your report was sent to the curators")).to_be_visible()
    expect(visitor).to_have_url(re.compile(f"{ROADMAP}#resource-"))  # back to its row

    page = new_page(user=learner)
    page.goto(ROADMAP)
    page.get_by_role("link", name=f"Report a problem with {DATA_SCIENCE}").click()
    page.get_by_label("What is wrong").select_option(label="Something else")
    page.get_by_role("button", name="Send report").click()
    expect(
        page.locator(".errorlist").get_by_text("Say what is wrong.")
    ).to_be_visible()  # a comment is needed
    page.get_by_label("Comment").fill("The second edition is out.")
    page.get_by_role("button", name="Send report").click()
    expect(page.locator("#progress-announcer")).to_contain_text("your report was sent")

    admin = new_page(user=curator)
    admin.goto("/admin/curation/report/")
    expect(admin.get_by_role("cell", name="A visitor")).to_be_visible()
    expect(admin.get_by_text("The second edition is out.")).to_be_visible()
    act_on(admin, f"The link is broken: {PYTHON_BOOK}", "Mark selected reports fixed")
    admin.get_by_role("button", name="Go").click()
    expect(admin.locator(".messagelist")).to_contain_text("1 marked fixed.")
    admin.goto("/admin/curation/report/?status__exact=open")
    expect(admin.get_by_text("The second edition is out.")).to_be_visible()
    expect(admin.get_by_role("link", name=PYTHON_BOOK)).to_have_count(0)


def audit(page, paths: list[str]) -> None:
    """Each of `paths` in both themes: no serious or critical axe violation."""
    for color_scheme in ("light", "dark"):
        page.emulate_media(color_scheme=color_scheme)
        for path in paths:
            page.goto(path)
            assert serious_violations(page) == [], f"{path} ({color_scheme})"


def test_the_loop_passes_the_accessibility_audit(new_page, learner, curator):
    page = new_page(user=learner)
    page.goto(ROADMAP)
    page.get_by_role("link", name="Suggest a resource for Machine learning").click()
    page.get_by_role("button", name="Send suggestion").click()  # errors shown in place
    expect(page.get_by_text("This field is required.").first).to_be_visible()
    page.get_by_role("link", name=f"Report a problem with {PYTHON_BOOK}").click()
    expect(page.get_by_label("What is wrong")).to_be_visible()
    settled(page)
    for color_scheme in ("light", "dark"):
        page.emulate_media(color_scheme=color_scheme)
        assert serious_violations(page) == [], f"roadmap with both forms open ({color_scheme})"
    page.get_by_label("URL").fill("https://d2l.ai/")
    page.get_by_label("Title").fill(NEW)
    page.get_by_label("Why it belongs").fill("Free.")
    page.get_by_role("button", name="Send suggestion").click()
    expect(page.get_by_text("your suggestion was sent")).to_be_visible()
    # (The report's form is still open.)
    page.get_by_label("What is wrong").select_option(label="The link is broken")
    page.get_by_role("button", name="Send report").click()
    expect(page.locator(".form-done", has_text="your report was sent")).to_be_visible()
    topic = Roadmap.objects.get(slug="deep-learning").parts.first().topics.first()
    audit(page, [f"/topics/{topic.pk}/suggest", f"/resources/{resource_id()}/report", "/me/"])

    insights_refresh()
    roadmap = Roadmap.objects.get(slug="deep-learning")
    suggestion = Suggestion.objects.get()
    audit(
        new_page(user=curator),
        [
            "/admin/",
            "/admin/curation/suggestion/",
            f"/admin/curation/suggestion/{suggestion.pk}/change/",
            "/admin/curation/report/",
            "/admin/curation/insights/",
            f"/admin/curation/insights/{roadmap.pk}/figures/",
        ],
    )


def resource_id() -> str:
    return str(Resource.objects.get(title=PYTHON_BOOK).public_id)


def test_the_keyboard_is_never_left_on_the_page_when_a_form_in_place_changes(new_page, learner):
    """Opened, cancelled, refused and sent in place, a report's and a suggestion's forms
    each leave the focus where the learner can go on: the first field, the link again
    (Escape is Cancel), the field at fault, the word that it was sent."""
    page = new_page(user=learner)
    page.goto(ROADMAP)
    link = page.get_by_role("link", name=f"Report a problem with {PYTHON_BOOK}")
    link.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_label("What is wrong")).to_be_focused()
    page.get_by_role("button", name="Cancel").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name=f"Report a problem with {PYTHON_BOOK}")).to_be_focused()
    suggest = page.get_by_role("link", name="Suggest a resource for Machine learning")
    suggest.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_label("URL")).to_be_focused()
    page.keyboard.press("Escape")  # as Cancel
    expect(suggest).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_label("URL")).to_be_focused()
    page.get_by_label("Title").fill("A title")
    page.get_by_role("button", name="Send suggestion").focus()
    page.keyboard.press("Enter")  # no URL: refused
    expect(page.get_by_label("URL")).to_be_focused()
    expect(page.locator("#progress-announcer")).to_contain_text("URL: This field is required.")
    page.get_by_label("URL").fill("https://d2l.ai/")
    page.get_by_label("Why it belongs").fill("Free.")
    page.get_by_role("button", name="Send suggestion").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".form-done")).to_be_focused()


def test_cancel_works_the_moment_the_form_in_place_takes_the_keyboard(new_page, learner):
    """A form opened in place is wired up by the time it is focused: Enter on its Cancel
    at once (a fast keyboard, a slow machine) closes it, where it once did nothing and the
    keyboard was taken back to the form a moment later."""
    page = new_page(user=learner)
    page.goto(ROADMAP)
    # The instant a field of the opened form takes the focus, its Cancel is clicked.
    page.evaluate(
        """document.addEventListener("focusin", function cancel(event) {
             const area = event.target.closest(".curation-area");
             if (!area) return;
             document.removeEventListener("focusin", cancel);
             area.querySelector('[hx-get$="close=1"]').click();
           })"""
    )
    page.get_by_role("link", name=f"Report a problem with {PYTHON_BOOK}").click()
    expect(page.get_by_label("What is wrong")).to_have_count(0)
    expect(page.get_by_role("link", name=f"Report a problem with {PYTHON_BOOK}")).to_be_focused()
