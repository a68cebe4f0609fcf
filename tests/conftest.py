import io

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
    return StaffFactory()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_cache():
    """Rate-limit counters live in the cache: no test inherits another's attempts."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
