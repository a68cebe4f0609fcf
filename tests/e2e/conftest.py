"""Playwright driving Debian's Chromium against the live test server."""

import os

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import sync_playwright

from scripts.chromium import CHROMIUM_ARGS
from tests.conftest import CHROMIUM

# Playwright's sync API keeps an event loop in this thread; the ORM calls made by the
# tests themselves are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, live_server):
    """Open a page in a fresh context: `new_page(user=..., javascript=...)`."""
    contexts = []

    def open_page(*, user=None, javascript: bool = True):
        context = browser.new_context(base_url=live_server.url, java_script_enabled=javascript)
        context.set_default_timeout(10_000)
        if user is not None:
            client = Client()
            client.force_login(user)
            cookie = client.cookies[settings.SESSION_COOKIE_NAME]
            context.add_cookies(
                [{"name": cookie.key, "value": cookie.value, "url": live_server.url}]
            )
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def curator(transactional_db):
    """A Curators member (browser tests flush the database between tests)."""
    from tests.factories import CuratorFactory

    return CuratorFactory()
