"""The shared cache without Redis (config/cache.py): Django's database cache, each write
one statement. It must keep every promise of Django's cache: the rate limits count on
it and take their locks with `add`."""

import threading
from datetime import datetime, timedelta

import pytest
from django.core.cache import cache
from django.core.cache.backends.base import CacheKeyWarning
from django.db import connection, connections
from django.utils import timezone

from config.cache import PostgresCache

pytestmark = pytest.mark.django_db


def test_a_value_is_kept_until_it_expires():
    cache.set("k", {"history": [1.5, 2.5]}, timeout=60)
    assert cache.get("k") == {"history": [1.5, 2.5]}
    cache.set("k", "again", timeout=60)  # (written over)
    assert cache.get("k") == "again"
    cache.set("gone", "x", timeout=-1)
    assert cache.get("gone", "missing") == "missing"
    cache.set("forever", "x", timeout=None)
    assert cache.get("forever") == "x" and expires("forever").year == 9999
    assert cache.add("at-once", "x", timeout=0)  # (a timeout of 0: expired as written)
    assert cache.get("at-once") is None
    cache.delete("k")
    assert cache.get("k") is None


def test_add_sets_only_what_holds_nothing_live():
    assert cache.add("lock", 1, timeout=60)
    assert not cache.add("lock", 2, timeout=60)
    assert cache.get("lock") == 1
    cache.set("stale", 1, timeout=-1)
    assert cache.add("stale", 2, timeout=60)  # an expired value is as good as none
    assert cache.get("stale") == 2


def expires(key: str) -> datetime:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT expires FROM django_cache WHERE cache_key = %s", [cache.make_key(key)]
        )
        return cursor.fetchone()[0]


def test_a_key_too_long_for_the_table_is_not_kept_and_breaks_nothing():
    key = "k" * 300
    with pytest.warns(CacheKeyWarning):
        cache.set(key, "v", timeout=60)
    with pytest.warns(CacheKeyWarning):
        assert not cache.add(key, "v", timeout=60)
    with pytest.warns(CacheKeyWarning):
        assert cache.get(key) is None
    cache.set("k", "v", timeout=60)
    assert cache.get("k") == "v"


def test_touch_moves_the_expiry_of_a_live_value_only():
    cache.set("k", "v", timeout=1)
    assert cache.touch("k", timeout=3600)
    assert expires("k") > timezone.now() + timedelta(minutes=59)
    assert not cache.touch("nothing", timeout=60)
    cache.set("stale", "v", timeout=-1)
    assert not cache.touch("stale", timeout=60)
    assert cache.get("stale") is None


def test_the_rest_of_djangos_cache_works_on_it(django_assert_num_queries):
    with django_assert_num_queries(3):  # (a read, the add, a read: one write)
        assert cache.get_or_set("n", 1, timeout=60) == 1
    assert cache.incr("n", 2) == 3
    cache.set_many({"a": 1, "b": 2}, timeout=60)
    assert cache.get_many(["a", "b", "c"]) == {"a": 1, "b": 2}
    assert cache.has_key("a")
    cache.delete_many(["a", "b"])
    assert not cache.has_key("a")


def test_a_write_is_one_statement(django_assert_num_queries):
    with django_assert_num_queries(1):
        cache.set("k", "v", timeout=60)
    with django_assert_num_queries(1):
        assert not cache.add("k", "v", timeout=60)


def full(**options) -> PostgresCache:
    return PostgresCache("django_cache", {"OPTIONS": {"MAX_ENTRIES": 4, **options}})


def test_the_table_is_culled_as_django_culls_it_once_every_so_many_writes():
    small = full(CULL_FREQUENCY=2, CULL_EVERY=11)
    for n in range(9):
        small.set(f"k{n}", n, timeout=60)
    small.set("old", 1, timeout=-1)
    assert small.get_many([f"k{n}" for n in range(9)]).keys() == {f"k{n}" for n in range(9)}
    small.set("k9", 9, timeout=60)  # the eleventh write culls first
    left = small.get_many([f"k{n}" for n in range(10)])
    # The expired entry went; of the 9 left, the first 4 by key.
    assert sorted(left) == ["k4", "k5", "k6", "k7", "k8", "k9"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM django_cache WHERE cache_key LIKE '%old'")
        assert cursor.fetchone() == (0,)


def test_a_cull_frequency_of_zero_empties_the_full_table():
    small = full(CULL_FREQUENCY=0, CULL_EVERY=6)
    for n in range(6):
        small.set(f"k{n}", n, timeout=60)
    assert small.get_many([f"k{n}" for n in range(6)]) == {"k5": 5}


@pytest.mark.django_db(transaction=True)
def test_two_processes_cannot_both_take_a_lock():
    """allauth's limiter locks with `add`: of many threads (each its own connection)
    adding one key at once, exactly one succeeds."""
    start, taken = threading.Barrier(8), []

    def take() -> None:
        connection.ensure_connection()  # (so that the adds meet, not the connects)
        start.wait()
        try:
            taken.append(cache.add("lock", threading.get_ident(), timeout=60))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(taken) == 8 and taken.count(True) == 1
    cache.delete("lock")
