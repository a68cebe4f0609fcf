"""A learner's journey in a real browser: sign up, tick, reload, untick; no JavaScript;
keyboard only; and an accessibility audit."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from accounts.models import User
from api.services import token_create
from tests.progress_helpers import ROADMAP

pytestmark = pytest.mark.usefixtures("seed")

PYTHON_BOOK = "Learn Python The Hard Way"
MATHS = "Mathematics for Machine Learning Specialization - Coursera"
STATISTICS = "Practical Statistics for Data Scientists, 2nd Edition"


def bar(page: Page, name: str):
    return page.get_by_role("progressbar", name=f"{name} progress", exact=True)


def settled(page: Page) -> None:
    """Wait until htmx has finished swapping and settling, as a person would."""
    # A locator, not wait_for_function: that evaluates a string, which the CSP forbids.
    busy = ".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added"
    expect(page.locator(busy)).to_have_count(0)


def checkbox(page: Page, title: str):
    return page.get_by_role("checkbox", name=f"Mark {title} as done")


def test_sign_up_then_tick_and_untick_in_place(new_page):
    page = new_page()
    page.goto("/accounts/signup/")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password").fill("a-long-Passphrase-42")
    page.get_by_role("button", name="Sign Up").click()
    expect(page).to_have_url("/")
    assert User.objects.filter(username="ada").exists()
    expect(bar(page, "Deep Learning Roadmap")).to_have_attribute("aria-valuenow", "0")
    page.get_by_role("link", name="Start Deep Learning Roadmap").click()
    expect(page).to_have_url(ROADMAP)
    expect(bar(page, "Overall")).to_have_attribute("aria-valuenow", "0")

    page.evaluate("window.__sameDocument = 'yes'")
    checkbox(page, PYTHON_BOOK).check()
    expect(bar(page, "Overall")).to_have_attribute("aria-valuenow", "20")
    expect(bar(page, "Programming")).to_have_attribute("aria-valuenow", "100")
    expect(bar(page, "Pre-requisites")).to_have_attribute("aria-valuenow", "20")
    expect(page.locator("#nav-progress")).to_contain_text("20%")
    expect(page.locator("#progress-announcer")).to_contain_text(f"{PYTHON_BOOK} marked as done.")
    assert page.evaluate("window.__sameDocument") == "yes"  # no navigation happened

    page.reload()
    expect(checkbox(page, PYTHON_BOOK)).to_be_checked()
    expect(bar(page, "Overall")).to_have_attribute("aria-valuenow", "20")

    page.evaluate("window.__sameDocument = 'yes'")
    settled(page)
    checkbox(page, PYTHON_BOOK).uncheck()
    expect(bar(page, "Overall")).to_have_attribute("aria-valuenow", "0")
    expect(bar(page, "Programming")).to_have_attribute("aria-valuenow", "0")
    assert page.evaluate("window.__sameDocument") == "yes"
    page.reload()
    expect(checkbox(page, PYTHON_BOOK)).not_to_be_checked()


def test_ticking_works_without_javascript(new_page, learner):
    page = new_page(user=learner, javascript=False)
    page.goto(ROADMAP)
    checkbox(page, PYTHON_BOOK).check()
    page.get_by_role("button", name=f"Save progress on {PYTHON_BOOK}").click()
    expect(page.get_by_role("status").first).to_contain_text(f"{PYTHON_BOOK} marked as done.")
    expect(checkbox(page, PYTHON_BOOK)).to_be_checked()
    expect(bar(page, "Overall")).to_have_attribute("aria-valuenow", "20")
    assert page.url.endswith("/#resource-5d0c9a3e-5a0b-4a8e-9d1f-1f0b7c2a6e01")

    checkbox(page, PYTHON_BOOK).uncheck()
    page.get_by_role("button", name=f"Save progress on {PYTHON_BOOK}").click()
    expect(checkbox(page, PYTHON_BOOK)).not_to_be_checked()
    expect(bar(page, "Overall")).to_have_attribute("aria-valuenow", "0")


def test_ticking_with_the_keyboard_alone(new_page, learner):
    page = new_page(user=learner)
    page.goto(ROADMAP)
    target = checkbox(page, PYTHON_BOOK)
    for _ in range(60):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            break
    else:
        pytest.fail("Tab never reached the checkbox")
    page.keyboard.press("Space")
    expect(bar(page, "Overall")).to_have_attribute("aria-valuenow", "20")
    expect(target).to_be_checked()
    expect(target).to_be_focused()  # the swap keeps the keyboard where it was
    settled(page)
    page.keyboard.press("Space")
    expect(bar(page, "Overall")).to_have_attribute("aria-valuenow", "0")


def serious_violations(page: Page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{violation['id']}: {violation['help']}"
        for violation in results.response["violations"]
        if violation["impact"] in {"serious", "critical"}
    ]


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
def test_accessibility_audit(new_page, learner, color_scheme):
    visitor = new_page()
    visitor.emulate_media(color_scheme=color_scheme)
    for path in ["/", "/accounts/signup/", "/accounts/login/"]:
        visitor.goto(path)
        assert serious_violations(visitor) == [], path
    visitor.goto(ROADMAP)
    checkbox(visitor, PYTHON_BOOK).check()  # a visitor's own ticks, in their session
    expect(bar(visitor, "Overall")).to_have_attribute("aria-valuenow", "20")
    settled(visitor)
    assert serious_violations(visitor) == [], "/ with a visitor's tick"
    page = new_page(user=learner)
    page.emulate_media(color_scheme=color_scheme)
    page.goto(ROADMAP)
    checkbox(page, PYTHON_BOOK).check()
    expect(bar(page, "Overall")).to_have_attribute("aria-valuenow", "20")
    # A page with every kind of state and a note shown.
    page.get_by_label(f"Status of {MATHS}").select_option(label="Skipped")
    expect(bar(page, "Overall")).to_have_attribute("aria-valuenow", "40")
    settled(page)
    page.get_by_label(f"Status of {STATISTICS}").select_option(label="In progress")
    settled(page)
    page.get_by_role("button", name=f"Note on {PYTHON_BOOK}").click()
    page.get_by_label(f"Your note on {PYTHON_BOOK}").fill("Chapters *1 to 5*.")
    page.get_by_role("button", name="Save note").click()
    expect(page.get_by_text("Chapters 1 to 5.")).to_be_visible()
    settled(page)
    page.get_by_role("button", name=f"Note on {STATISTICS}").click()  # an editor open
    expect(page.get_by_label(f"Your note on {STATISTICS}")).to_be_focused()
    assert serious_violations(page) == [], "/ with a note editor open"
    page.goto("/me/sharing/")
    page.get_by_role("button", name="Turn sharing on").click()
    share_url = page.locator("#share-url").input_value()
    for path in ["/", ROADMAP, "/me/", "/me/profile/", "/me/sharing/", "/me/reset/", share_url]:
        page.goto(path)
        assert serious_violations(page) == [], path


def test_phone_width_has_no_horizontal_scroll(new_page, learner):
    """At 360 px nothing makes the page scroll sideways; what is wider (a year of
    activity, the tokens' table) scrolls within a region the keyboard reaches too."""
    token_create(user=learner, name="A script of mine", scope="read", expires_at=None)
    page = new_page(user=learner)
    page.set_viewport_size({"width": 360, "height": 740})
    paths = [
        "/",
        ROADMAP,
        "/me/",
        "/me/profile/",
        "/me/sharing/",
        "/me/tokens/",
        "/search/?q=python",
    ]
    for path in [*paths, "/accounts/signup/"]:
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
        if path in {"/me/", "/me/tokens/"}:
            assert serious_violations(page) == [], path
    # The year of activity opens at its newest week on a phone, at its left on a screen.
    page.goto("/me/")
    newest_in_view = """() => {
        const wrap = document.querySelector(".heatmap-wrap").getBoundingClientRect();
        const day = document.querySelector(".heatmap tr:last-child td:last-child");
        const cell = day.getBoundingClientRect();
        return cell.left >= wrap.left && cell.right <= wrap.right + 1;
    }"""
    assert page.evaluate(newest_in_view)
    page.set_viewport_size({"width": 1280, "height": 800})
    assert page.evaluate(
        "Math.abs(document.querySelector('.heatmap').getBoundingClientRect().left"
        " - document.querySelector('.heatmap-wrap').getBoundingClientRect().left) < 1"
    )


def test_ticking_works_under_the_content_security_policy(new_page, learner):
    page = new_page(user=learner)
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.add_init_script(
        "window.__csp = [];"
        "document.addEventListener('securitypolicyviolation',"
        " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    response = page.goto(ROADMAP)
    assert "script-src 'self'" in response.headers["content-security-policy"]
    checkbox(page, PYTHON_BOOK).check()
    expect(bar(page, "Overall")).to_have_attribute("aria-valuenow", "20")
    settled(page)
    page.goto("/me/sharing/")
    page.get_by_role("button", name="Turn sharing on").click()
    expect(page.get_by_role("button", name="Copy link")).to_be_visible()
    assert page.evaluate("window.__csp") == []
    assert violations == []


def test_sign_up_pages_take_the_browsers_zone_for_either_way_of_signing_up(browser, live_server):
    """The sign-up form's field, and for a sign-up through a provider, a cookie of the
    account pages (tests/test_social_login.py: what the server makes of it)."""
    context = browser.new_context(base_url=live_server.url, timezone_id="Asia/Tokyo")
    try:
        page = context.new_page()
        page.goto("/accounts/signup/")
        expect(page.locator('input[name="time_zone"]')).to_have_value("Asia/Tokyo")
        [cookie] = [c for c in context.cookies() if c["name"] == "time_zone"]
        assert (cookie["value"], cookie["path"]) == ("Asia/Tokyo", "/accounts/")
    finally:
        context.close()
