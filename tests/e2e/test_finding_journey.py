"""Search, filters and the printed checklist, in a real browser, with and without
JavaScript."""

import io
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from roadmap.models import Resource
from tests.e2e.test_learner_journey import (
    MATHS,
    PYTHON_BOOK,
    STATISTICS,
    bar,
    checkbox,
    serious_violations,
    settled,
)
from tests.progress_helpers import ROADMAP

pytestmark = pytest.mark.usefixtures("seed")


def results(page):
    return page.get_by_role("list", name="Search results").get_by_role("listitem")


def tick_first_book(page) -> None:
    """The learner ticks the seed's first book, on the roadmap, and waits for its bars."""
    page.goto(ROADMAP)
    checkbox(page, PYTHON_BOOK).check()
    expect(bar(page, "Overall")).to_have_attribute("aria-valuenow", "20")
    settled(page)


def printed(page) -> str:
    """The page printed to PDF (Chromium's page.pdf), as text, its whitespace collapsed."""
    pages = PdfReader(io.BytesIO(page.pdf(format="A4"))).pages
    return " ".join(" ".join(p.extract_text().split()) for p in pages)


def test_search_updates_as_one_types_and_ticks_in_place(new_page, learner):
    page = new_page(user=learner)
    page.goto(ROADMAP)
    page.evaluate("window.__sameDocument = 'yes'")
    box = page.get_by_role("searchbox", name="Search")
    box.press_sequentially("statistics")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/search/\?q=statistics"))
    expect(page.get_by_role("heading", name="Search", exact=True)).to_be_visible()
    expect(page.locator("#search-count")).to_have_text("1 result for “statistics”")
    page.evaluate("window.__sameDocument = 'yes'")
    # As one types, the results follow, in place, and the address with them.
    page.get_by_role("searchbox", name="Search").fill("python")
    expect(page.locator("#search-count")).to_have_text("2 results for “python”")
    expect(results(page)).to_have_count(2)
    expect(page).to_have_url(re.compile(r"/search/\?q=python"))
    assert page.evaluate("window.__sameDocument") == "yes"
    checkbox(page, PYTHON_BOOK).check()
    expect(page.locator("#progress-announcer")).to_contain_text(f"{PYTHON_BOOK} marked as done.")
    settled(page)
    expect(checkbox(page, PYTHON_BOOK)).to_be_checked()
    assert page.evaluate("window.__sameDocument") == "yes"
    page.get_by_role("link", name=PYTHON_BOOK, exact=True).click()
    expect(checkbox(page, PYTHON_BOOK)).to_be_checked()
    expect(bar(page, "Overall")).to_have_attribute("aria-valuenow", "20")
    page.go_back()
    expect(page).to_have_url(re.compile(r"/search/\?q=python"))


def test_search_and_filters_work_without_javascript(new_page):
    page = new_page(javascript=False)
    page.goto("/")
    page.get_by_role("searchbox", name="Search").fill("Statistcs")
    page.get_by_role("searchbox", name="Search").press("Enter")
    expect(page.get_by_text("Showing results for similar words")).to_be_visible()
    expect(results(page)).to_have_count(1)
    expect(results(page).first).to_contain_text(STATISTICS)
    page.goto(ROADMAP)
    page.get_by_role("group", name="Kind").get_by_label("Course", exact=True).check()
    page.get_by_role("button", name="Filter", exact=True).click()
    expect(page).to_have_url(re.compile(r"kind=course"))
    expect(page.locator(".resource")).to_have_count(1)
    expect(page.get_by_text("the filters hide 4")).to_be_visible()
    page.get_by_role("link", name="Clear filters").click()
    expect(page.locator(".resource")).to_have_count(5)


def test_filters_apply_in_place_and_survive_a_reload(new_page, learner):
    page = new_page(user=learner)
    tick_first_book(page)
    page.evaluate("window.__sameDocument = 'yes'")
    status = page.get_by_role("group", name="Status")
    status.get_by_label("Not started", exact=True).check()
    expect(page.locator(".resource")).to_have_count(4)
    expect(page).to_have_url(re.compile(r"state=not_started"))
    expect(page.locator("#filter-summary")).to_contain_text("the filters hide 1")
    # Still the same document, the box still focused, the bars still the whole roadmap's.
    assert page.evaluate("window.__sameDocument") == "yes"
    expect(status.get_by_label("Not started", exact=True)).to_be_focused()
    expect(bar(page, "Overall")).to_have_attribute("aria-valuenow", "20")
    page.keyboard.press("Tab")
    page.get_by_role("group", name="Kind").get_by_label("Book", exact=True).check()
    expect(page.locator(".resource")).to_have_count(3)
    page.reload()
    expect(page.locator(".resource")).to_have_count(3)
    expect(page.get_by_role("group", name="Kind").get_by_label("Book", exact=True)).to_be_checked()
    page.go_back()
    expect(page.locator(".resource")).to_have_count(4)


def test_a_tick_in_place_counts_the_filters_again_and_leaves_them_as_set(new_page, learner):
    page = new_page(user=learner)
    tick_first_book(page)
    status = page.get_by_role("group", name="Status")
    status.get_by_label("Not started", exact=True).check()
    expect(page.locator(".resource")).to_have_count(4)
    settled(page)

    def count(key: str):
        return page.locator(f"#filter-{key}-count")

    expect(count("state-done")).to_have_text("1")
    expect(count("state-not_started")).to_have_text("4")
    checkbox(page, STATISTICS).check()
    expect(count("state-done")).to_have_text("2")
    expect(count("state-not_started")).to_have_text("3")
    # Nothing else moved: the filter as the learner set it, the row where it was.
    expect(status.get_by_label("Not started", exact=True)).to_be_checked()
    expect(page.locator(".resource")).to_have_count(4)
    expect(checkbox(page, STATISTICS)).to_be_checked()
    expect(page).to_have_url(re.compile(r"state=not_started"))


def test_printing_the_roadmap_gives_a_checklist_of_states_and_urls(new_page, learner):
    page = new_page(user=learner)
    tick_first_book(page)
    page.get_by_label(f"Status of {MATHS}").select_option(label="In progress")
    settled(page)
    page.get_by_label(f"Status of {STATISTICS}").select_option(label="Skipped")
    settled(page)
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Site")).to_be_hidden()
    expect(page.locator("form.filters")).to_be_hidden()
    expect(checkbox(page, PYTHON_BOOK)).to_be_hidden()
    text = printed(page)
    assert "Log out" not in text and "Filter resources" not in text
    for title, state in [
        (PYTHON_BOOK, "☑ Done"),
        (MATHS, "◐ In progress"),
        (STATISTICS, "⊘ Skipped"),
    ]:
        resource = Resource.objects.get(title=title)
        assert f"{state} {title}" in text
        assert resource.url in text.replace(" ", "") or resource.url in text
    assert "☐ Not started Data Science from Scratch" in text
    # Filtered, the print has only what the filters show.
    page.emulate_media(media="screen")
    page.goto(f"{ROADMAP}?state=done")
    filtered = printed(page)
    assert PYTHON_BOOK in filtered
    assert MATHS not in filtered


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
def test_search_and_filters_pass_the_accessibility_audit(new_page, learner, color_scheme):
    page = new_page(user=learner)
    page.emulate_media(color_scheme=color_scheme)
    for path in ["/search/", "/search/?q=machine+learning", "/search/?q=Statistcs"]:
        page.goto(path)
        assert serious_violations(page) == [], path
    page.goto(f"{ROADMAP}?kind=book&level=beginner")
    assert serious_violations(page) == [], "a filtered roadmap"
