"""A learner who goes Back, whose session ends while they write, or whose tick fails: the
page never shows (or sends) a state but the saved one, and nothing typed is lost."""

import re

import pytest
from playwright.sync_api import expect

from roadmap.models import Note, Progress, Resource
from tests.e2e.test_learner_journey import MATHS, PYTHON_BOOK, bar, checkbox, settled
from tests.progress_helpers import ROADMAP

pytestmark = pytest.mark.usefixtures("seed")

LAST = "Data Science from Scratch, 2nd Edition"  # the seed's last resource
PASSWORD = "correct horse battery staple"  # tests/factories.py


def saved_states(learner) -> dict[str, str]:
    titles = {r.work_id: r.title for r in Resource.objects.all()}
    rows = Progress.objects.filter(user=learner).values_list("work_id", "state")
    return {titles[work]: state for work, state in rows}


def start_over_then_back(page) -> None:
    """Tick the book, skip the course, start everything over on /me/reset/, Back twice
    to the roadmap (fetched again: its controls as the browser would put them back)."""
    page.goto(ROADMAP)
    checkbox(page, PYTHON_BOOK).check()
    expect(bar(page, "Overall")).to_have_attribute("aria-valuenow", "20")
    settled(page)
    page.get_by_label(f"Status of {MATHS}").select_option(label="Skipped")
    expect(bar(page, "Overall")).to_have_attribute("aria-valuenow", "40")
    settled(page)
    page.goto("/me/reset/")
    page.get_by_label("What to reset").select_option(label="Everything, in every roadmap")
    page.get_by_label("Type RESET to confirm").fill("RESET")
    page.get_by_role("button", name="Reset").click()
    expect(page.get_by_role("status").first).to_contain_text("starts over")
    page.go_back()
    page.go_back()
    expect(page).to_have_url(re.compile(f"{ROADMAP}$"))
    settled(page)


def test_back_to_a_page_shows_the_states_saved_and_a_tick_there_sends_what_it_shows(
    new_page, learner
):
    page = new_page(user=learner)
    start_over_then_back(page)
    expect(bar(page, "Overall")).to_have_attribute("aria-valuenow", "0")
    expect(checkbox(page, PYTHON_BOOK)).not_to_be_checked()
    expect(page.get_by_label(f"Status of {MATHS}")).to_have_value("not_started")
    checkbox(page, MATHS).check()
    expect(page.locator("#progress-announcer")).to_contain_text(f"{MATHS} marked as done")
    settled(page)
    assert saved_states(learner) == {MATHS: "done"}


@pytest.mark.parametrize("where", ["filter", "search"])
def test_back_past_an_address_htmx_pushed_loads_the_page_as_it_is_now(new_page, learner, where):
    page = new_page(user=learner)
    if where == "filter":
        page.goto(ROADMAP)
        page.get_by_role("group", name="Kind").get_by_label("Book", exact=True).check()
        expect(page).to_have_url(re.compile(r"kind=book"))
        before = re.compile(f"{ROADMAP}$")
    else:
        page.goto("/search/?q=python")
        page.get_by_role("searchbox", name="Search").fill("learn python")
        expect(page).to_have_url(re.compile(r"q=learn"))
        before = re.compile(r"q=python$")
    settled(page)
    checkbox(page, PYTHON_BOOK).check()
    expect(page.locator("#progress-announcer")).to_contain_text("marked as done")
    settled(page)
    page.go_back()
    expect(page).to_have_url(before)
    expect(checkbox(page, PYTHON_BOOK)).to_be_checked()


def test_back_after_logging_out_shows_nothing_of_the_learners(new_page, learner):
    page = new_page(user=learner)
    page.goto(ROADMAP)
    page.get_by_role("button", name=f"Note on {PYTHON_BOOK}").click()
    page.get_by_label(f"Your note on {PYTHON_BOOK}").fill("My private diary entry")
    page.get_by_role("button", name="Save note").click()
    expect(page.get_by_text("My private diary entry")).to_be_visible()
    settled(page)
    page.get_by_role("group", name="Kind").get_by_label("Book", exact=True).check()
    expect(page).to_have_url(re.compile(r"kind=book"))
    settled(page)
    page.goto("/accounts/logout/")
    page.get_by_role("button", name="Sign Out").click()
    expect(page.get_by_role("link", name="Log in", exact=True)).to_be_visible()
    for _ in range(3):  # the log-out page, the filtered roadmap, the roadmap
        page.go_back()
    expect(page).to_have_url(re.compile(f"{ROADMAP}$"))
    expect(page.get_by_role("link", name="Log in", exact=True)).to_be_visible()
    expect(page.get_by_text("My private diary entry")).to_have_count(0)


def test_a_note_sent_again_after_logging_in_again_in_another_tab_is_saved(new_page, learner):
    from accounts.models import Session

    page = new_page(user=learner)
    page.goto(ROADMAP)
    page.get_by_role("button", name=f"Note on {PYTHON_BOOK}").click()
    page.get_by_label(f"Your note on {PYTHON_BOOK}").fill("An hour of reading, summed up.")
    Session.objects.all().delete()  # the session ended (expired, or logged out elsewhere)
    page.get_by_role("button", name="Save note").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Log in again, then send it again")
    with page.context.expect_page() as opened:  # the alert's link: another tab
        alert.get_by_role("link", name="Log in").click()
    tab = opened.value
    tab.get_by_label("Username").fill(learner.username)
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign In").click()  # a new CSRF token for the browser
    expect(tab.get_by_role("link", name="Log out")).to_be_visible()
    page.bring_to_front()
    page.get_by_role("button", name="Save note").click()  # as the alert said
    expect(page.locator("#progress-announcer")).to_contain_text("was saved")
    assert Note.objects.get(user=learner).text == "An hour of reading, summed up."
    settled(page)
    checkbox(page, PYTHON_BOOK).check()  # and the page's ticks go on
    expect(bar(page, "Overall")).to_have_attribute("aria-valuenow", "20")


@pytest.mark.parametrize("failure", ["network", "429"])
def test_a_failed_tick_far_down_a_phone_page_is_said_where_the_learner_is(
    new_page, settings, failure
):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "visitor_write": "0/m/ip"}
    page = new_page()
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(ROADMAP)
    if failure == "network":
        page.route("**/progress", lambda route: route.abort())
    box = checkbox(page, LAST)
    box.scroll_into_view_if_needed()
    box.click()  # (not check(): the box is put back as soon as the answer fails)
    alert = page.get_by_role("alert")
    expect(alert).not_to_be_empty()
    expect(alert).to_be_in_viewport()
    expect(box).not_to_be_checked()  # put back: nothing was saved
    expect(bar(page, "Overall")).to_have_attribute("aria-valuenow", "0")


def test_escape_closes_a_report_form_opened_in_place_with_nothing_chosen(new_page):
    page = new_page()
    page.goto(ROADMAP)
    link = page.get_by_role("link", name=f"Report a problem with {PYTHON_BOOK}")
    link.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_label("What is wrong")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.get_by_label("What is wrong")).to_have_count(0)
    expect(link).to_be_focused()
    # Once a problem is chosen, Escape keeps the form (Cancel still closes it).
    link.focus()
    page.keyboard.press("Enter")
    page.get_by_label("What is wrong").select_option(label="It is paywalled now")
    page.keyboard.press("Escape")
    expect(page.get_by_label("What is wrong")).to_have_value("paywalled")
