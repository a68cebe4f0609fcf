"""States beyond done, notes in place, and ticks before signing up, in a real browser."""

import pytest
from playwright.sync_api import expect

from tests.e2e.test_learner_journey import MATHS, PYTHON_BOOK, STATISTICS, bar, checkbox, settled
from tests.progress_helpers import ROADMAP

pytestmark = pytest.mark.usefixtures("seed")


def test_skipping_a_resource_counts_it_and_reads_so(new_page, learner):
    page = new_page(user=learner)
    page.goto(ROADMAP)
    page.evaluate("window.__sameDocument = 'yes'")
    # (Its name exactly: not run on into its options' text.)
    status = page.get_by_label(f"Status of {PYTHON_BOOK}", exact=True)
    status.select_option(label="Skipped")
    expect(bar(page, "Overall")).to_have_attribute("aria-valuenow", "20")
    expect(bar(page, "Programming")).to_have_attribute("aria-valuenow", "100")
    expect(page.locator("#progress-announcer")).to_contain_text(f"{PYTHON_BOOK} marked as skipped.")
    expect(
        page.locator(".progress", has=page.get_by_role("progressbar", name="Overall progress"))
    ).to_contain_text("20% · 0 done, 1 skipped of 5")
    expect(checkbox(page, PYTHON_BOOK)).not_to_be_checked()
    settled(page)
    # The quick way to done, from skipped: the box, and the select follows.
    checkbox(page, PYTHON_BOOK).check()
    expect(page.get_by_label(f"Status of {PYTHON_BOOK}")).to_have_value("done")
    expect(
        page.locator(".progress", has=page.get_by_role("progressbar", name="Overall progress"))
    ).to_contain_text("20% · 1 done of 5")
    settled(page)
    page.get_by_label(f"Status of {MATHS}").select_option(label="In progress")
    # (The answer, before the reload below: the bars do not move, so they cannot say it came.)
    expect(page.locator("#progress-announcer")).to_contain_text(f"{MATHS} marked as in progress.")
    expect(page.get_by_label(f"Status of {MATHS}")).to_have_value("in_progress")
    expect(bar(page, "Overall")).to_have_attribute("aria-valuenow", "20")  # counts for nothing
    assert page.evaluate("window.__sameDocument") == "yes"
    page.reload()
    expect(page.get_by_label(f"Status of {MATHS}")).to_have_value("in_progress")
    page.goto("/me/")
    expect(page.get_by_role("region", name="In progress")).to_contain_text(MATHS)


def test_a_state_change_without_javascript(new_page, learner):
    page = new_page(user=learner, javascript=False)
    page.goto(ROADMAP)
    page.get_by_label(f"Status of {STATISTICS}").select_option(label="Skipped")
    page.get_by_role("button", name=f"Save progress on {STATISTICS}").click()
    expect(page.get_by_role("status").first).to_contain_text(f"{STATISTICS} marked as skipped.")
    expect(page.get_by_label(f"Status of {STATISTICS}")).to_have_value("skipped")
    expect(bar(page, "Overall")).to_have_attribute("aria-valuenow", "20")


def test_a_note_is_written_in_place(new_page, learner):
    page = new_page(user=learner)
    page.goto(ROADMAP)
    page.evaluate("window.__sameDocument = 'yes'")
    opener = page.get_by_role("button", name=f"Note on {PYTHON_BOOK}")
    opener.click()
    editor = page.get_by_label(f"Your note on {PYTHON_BOOK}")
    expect(editor).to_be_focused()
    page.keyboard.press("Escape")  # as Cancel: closed, and the keyboard back on the button
    expect(editor).to_have_count(0)
    expect(opener).to_be_focused()
    opener.click()
    editor.fill("Do **every** exercise. <script>alert(1)</script>")
    page.keyboard.press("Escape")  # not once something is typed: it would be lost
    expect(editor).to_have_value("Do **every** exercise. <script>alert(1)</script>")
    page.get_by_role("button", name="Save note").click()
    expect(page.get_by_text("Do every exercise.")).to_be_visible()
    expect(page.locator(".note strong")).to_have_text("every")
    expect(page.locator("#progress-announcer")).to_contain_text("was saved")
    assert page.evaluate("window.__sameDocument") == "yes"
    assert page.locator(".note script").count() == 0
    page.reload()
    expect(page.get_by_text("Do every exercise.")).to_be_visible()
    # Edited again, through the page of its own, without JavaScript.
    plain = new_page(user=learner, javascript=False)
    plain.goto(ROADMAP)
    plain.get_by_role("button", name=f"Note on {PYTHON_BOOK}").click()
    plain.get_by_label(f"Your note on {PYTHON_BOOK}").fill("Only chapter 1.")
    plain.get_by_role("button", name="Save note").click()
    expect(plain.get_by_role("status").first).to_contain_text("Your note was saved.")
    expect(plain.get_by_text("Only chapter 1.")).to_be_visible()


def test_a_note_saved_after_the_session_ended_stays_in_its_editor(new_page, learner):
    """Logged out meanwhile (in another tab, or the session expired): the editor keeps
    what was typed, and the alert says why nothing was saved and how to log in."""
    from accounts.models import Session

    page = new_page(user=learner)
    page.goto(ROADMAP)
    page.get_by_role("button", name=f"Note on {PYTHON_BOOK}").click()
    editor = page.get_by_label(f"Your note on {PYTHON_BOOK}")
    editor.fill("An hour of reading, summed up.")
    Session.objects.all().delete()
    page.get_by_role("button", name="Save note").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("You are not logged in any more, so this was not saved.")
    expect(alert.get_by_role("link", name="Log in")).to_have_attribute("target", "_blank")
    expect(editor).to_have_value("An hour of reading, summed up.")


def test_a_tick_after_the_session_ended_is_told_and_not_kept_as_a_visitors(new_page, learner):
    """Logged out meanwhile: the tick is not taken as a visitor's (their next log-in would
    overturn it without a word), and the alert says so and how to log in."""
    from accounts.models import Session
    from roadmap.models import Progress, VisitorProgress

    page = new_page(user=learner)
    page.goto(ROADMAP)
    Session.objects.all().delete()
    checkbox(page, PYTHON_BOOK).click()  # (not check(): the box is put back at the answer)
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("You are not logged in any more, so this was not saved.")
    expect(alert.get_by_role("link", name="Log in")).to_be_visible()
    expect(checkbox(page, PYTHON_BOOK)).not_to_be_checked()
    assert not Progress.objects.exists() and not VisitorProgress.objects.exists()


def test_a_tick_on_a_resource_gone_since_the_page_loaded_is_told(new_page, learner):
    from roadmap.models import Resource
    from roadmap.services import resource_status_set

    page = new_page(user=learner)
    page.goto(ROADMAP)
    resource_status_set(
        resources=Resource.objects.filter(title=PYTHON_BOOK), status=Resource.Status.ARCHIVED
    )
    checkbox(page, PYTHON_BOOK).click()  # (refused: the box may be unticked before .check() looks)
    expect(page.get_by_role("alert")).to_contain_text("This is not on the site any more")
    checkbox(page, MATHS).check()  # the next action starts with the alert empty
    expect(bar(page, "Overall")).not_to_have_attribute("aria-valuenow", "0")
    expect(page.locator("#page-alert")).to_be_empty()


def test_a_filter_that_failed_leaves_the_address_and_says_why(new_page):
    from roadmap.models import Roadmap

    page = new_page()
    page.goto(ROADMAP)
    Roadmap.objects.filter(slug="deep-learning").update(status=Roadmap.Status.DRAFT)
    page.get_by_role("group", name="Kind").get_by_label("Book").check()
    expect(page.get_by_role("alert")).to_contain_text("This is not on the site any more")
    assert page.url.endswith(ROADMAP)


GATEWAY_PAGE = (
    "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1>"
    "<hr>nginx</body></html>"
)


def test_a_gateway_s_error_page_is_said_in_a_sentence_of_ours(new_page):
    """While the site restarts, nginx answers with a page of its own: neither it nor its
    title lands in the page; a sentence says what to do. So does no answer at all."""
    page = new_page()
    page.goto(ROADMAP)
    title = page.title()
    page.route(
        "**/progress",
        lambda route: route.fulfill(status=502, body=GATEWAY_PAGE, content_type="text/html"),
    )
    # (Clicked, not checked: the box is put back as soon as the answer fails.)
    checkbox(page, PYTHON_BOOK).click()
    alert = page.get_by_role("alert")
    expect(alert).to_have_text(
        "The site did not answer as it should (error 502). Reload the page to see what was saved."
    )
    assert page.title() == title
    expect(checkbox(page, PYTHON_BOOK)).not_to_be_checked()
    page.unroute("**/progress")
    page.route("**/progress", lambda route: route.abort())
    checkbox(page, MATHS).click()
    expect(alert).to_contain_text("The site could not be reached, so this was not sent.")
    expect(checkbox(page, MATHS)).not_to_be_checked()


def test_a_visitor_ticks_two_and_finds_both_after_signing_up(new_page):
    page = new_page()
    page.goto(ROADMAP)
    expect(page.get_by_text("your progress lives in this browser")).to_be_visible()
    checkbox(page, PYTHON_BOOK).check()
    expect(bar(page, "Overall")).to_have_attribute("aria-valuenow", "20")
    settled(page)
    checkbox(page, MATHS).check()
    expect(bar(page, "Overall")).to_have_attribute("aria-valuenow", "40")
    expect(page.locator("#nav-progress")).to_contain_text("40%")
    settled(page)
    page.get_by_role("link", name="Sign up").first.click()
    page.get_by_label("Username").fill("grace")
    page.get_by_label("Email").fill("grace@example.com")
    page.get_by_label("Password").fill("a-long-Passphrase-42")
    page.get_by_role("button", name="Sign Up").click()
    expect(
        page.get_by_text("Your progress from this browser is in your account now: 2 kept.")
    ).to_be_visible()
    page.goto("/me/")
    recent = page.get_by_role("region", name="Recently completed")
    expect(recent).to_contain_text(PYTHON_BOOK)
    expect(recent).to_contain_text(MATHS)
    expect(bar(page, "Overall")).to_have_attribute("aria-valuenow", "40")


def test_a_visitors_quick_ticks_are_all_kept(new_page):
    """A visitor's session is written whole: their changes go one at a time, so two
    ticks in quick succession both stay."""
    page = new_page()
    page.goto(ROADMAP)
    for title in (PYTHON_BOOK, MATHS, STATISTICS):
        checkbox(page, title).click()  # without waiting for the answer
    expect(bar(page, "Overall")).to_have_attribute("aria-valuenow", "60")
    settled(page)
    page.reload()
    for title in (PYTHON_BOOK, MATHS, STATISTICS):
        expect(checkbox(page, title)).to_be_checked()
