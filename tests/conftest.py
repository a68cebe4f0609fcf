import io
import os
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.factories import StaffFactory, UserFactory


@pytest.fixture
def seed(db):
    """The author's seed roadmap, loaded the way `make run` loads it."""
    call_command("seed_roadmap", stdout=io.StringIO())


@pytest.fixture
def learner(db):
    return UserFactory()


@pytest.fixture
def curator(db):
    """A staff member in the Curators group (the group a data migration creates)."""
    from django.contrib.auth.models import Group

    from roadmap.curators import CURATORS

    curator = StaffFactory()
    curator.groups.add(Group.objects.get(name=CURATORS))
    return curator


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_cache(request):
    """Rate-limit counters live in the (database) cache: no test inherits another's."""
    uses_database = request.node.get_closest_marker("django_db") or {
        "db",
        "transactional_db",
        "live_server",
    } & set(request.fixturenames)
    if not uses_database:
        yield
        return
    from django.core.cache import cache

    request.getfixturevalue(
        "db" if "live_server" not in request.fixturenames else "transactional_db"
    )
    cache.clear()
    yield
    cache.clear()


# Browser tests need Debian's Chromium. Without it they do not run, and the run says so
# plainly; under CI a missing browser is a failure, not a quiet pass.
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
BROWSER_TESTS_MISSING = (
    f"Browser tests did NOT run: no Chromium at {CHROMIUM}. "
    "Install it with `apt-get install chromium` (or set CHROMIUM_PATH) and run `make test` again."
)


def pytest_collection_modifyitems(config, items):
    if CHROMIUM.exists():
        return
    if os.environ.get("CI") == "true":
        raise pytest.UsageError(BROWSER_TESTS_MISSING)
    browser_tests = [item for item in items if "tests/e2e/" in item.nodeid]
    if browser_tests:
        config.hook.pytest_deselected(items=browser_tests)
        items[:] = [item for item in items if item not in browser_tests]
        config.stash[missing_browser_key] = len(browser_tests)


missing_browser_key = pytest.StashKey[int]()


def pytest_terminal_summary(terminalreporter, config):
    if missing := config.stash.get(missing_browser_key, 0):
        terminalreporter.section("browser tests", sep="!", red=True, bold=True)
        terminalreporter.write_line(f"{missing} tests left out. {BROWSER_TESTS_MISSING}")
