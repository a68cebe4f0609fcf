import io
import itertools
import os
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

from scripts.chromium import CHROMIUM as CHROMIUM_PATH
from tests.factories import CuratorFactory, UserFactory, resources_in_one_topic


@pytest.fixture
def seed(db):
    """The author's seed roadmap, loaded the way `make run` loads it."""
    call_command("seed_roadmap", stdout=io.StringIO())


@pytest.fixture
def three(db):
    """Three published resources in one topic of the first roadmap, "Book 0" to "Book 2"."""
    return resources_in_one_topic(3, title="Book ")


@pytest.fixture
def learner(db):
    return UserFactory()


@pytest.fixture
def curator(db):
    """A staff member in the Curators group."""
    return CuratorFactory()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_cache(request):
    """Rate-limit counters live in the (database) cache, the roadmap's renderings in the
    process and in that cache, a learner's kept pieces of /me/ in the process: no test
    inherits another's (after a test that ran `flush`, which starts the ids again, what
    was kept by an id would be taken for the next test's)."""
    uses_database = request.node.get_closest_marker("django_db") or {
        "db",
        "transactional_db",
        "live_server",
    } & set(request.fixturenames)
    if not uses_database:
        yield
        return
    from django.core.cache import caches

    from roadmap.render_once import forget_everything

    request.getfixturevalue(
        "db" if "live_server" not in request.fixturenames else "transactional_db"
    )
    forget_everything()
    for kept in caches.all():  # every cache the settings name
        kept.clear()
    if hasattr(caches["default"], "writes"):  # (config/cache.py: no test culls by chance)
        caches["default"].writes = itertools.count(1)
    yield
    for kept in caches.all():
        kept.clear()


# Some tests need a program from Debian: the browser tests Chromium, the proxy tests nginx
# (`.ci/run` installs both). Without it they do not run, and the run says so plainly;
# under CI a missing program is a failure, not a quiet pass.
CHROMIUM = Path(CHROMIUM_PATH)
NGINX = shutil.which("nginx", path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin")
NEEDS = {
    "browser tests": (
        CHROMIUM.exists(),
        lambda item: "tests/e2e/" in item.nodeid,
        f"no Chromium at {CHROMIUM}. Install it with `apt-get install chromium` "
        "(or set CHROMIUM_PATH)",
    ),
    "proxy tests": (
        NGINX is not None,
        lambda item: item.get_closest_marker("nginx") is not None,
        "no nginx on the PATH or in /usr/sbin. Install it with `apt-get install nginx`",
    ),
}


def pytest_configure(config):
    config.addinivalue_line("markers", "nginx: runs Debian's nginx in front of the servers")
    if os.environ.get("CI") == "true":
        for what, (present, _needs, missing) in NEEDS.items():
            if not present:
                raise pytest.UsageError(f"{what.capitalize()} cannot run: {missing}.")


def pytest_collection_modifyitems(config, items):
    left_out = {}
    for what, (present, needs, missing) in NEEDS.items():
        wanting = [] if present else [item for item in items if needs(item)]
        if wanting:
            config.hook.pytest_deselected(items=wanting)
            items[:] = [item for item in items if item not in wanting]
            message = f"{what.capitalize()} did NOT run: {missing}, and run `make test` again."
            left_out[what] = (len(wanting), message)
    config.stash[left_out_key] = left_out
    if hasattr(config, "workeroutput"):  # a worker of `pytest -n`: tell the controller
        config.workeroutput["left_out"] = left_out


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """`pytest -n`'s controller: what its workers left out (each collects every test)."""
    left_out = getattr(node, "workeroutput", {}).get("left_out", {})
    node.config.stash[left_out_key] = node.config.stash.get(left_out_key, {}) | left_out


left_out_key = pytest.StashKey[dict]()


def pytest_terminal_summary(terminalreporter, config):
    for what, (count, message) in config.stash.get(left_out_key, {}).items():
        terminalreporter.section(what, sep="!", red=True, bold=True)
        terminalreporter.write_line(f"{count} tests left out. {message}")
