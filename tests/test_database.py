"""The pool's check of the connections it lends (config/database.py, config/postgresql)."""

import pytest
from django.db import connection
from psycopg_pool import ConnectionPool

from config.database import run_retrying_if_dropped


def select_one() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_work_run_again_if_dropped_borrows_without_the_round_trip_and_the_rest_with_it(
    monkeypatch,
):
    assert connection.pool is not None
    checked = []
    check = ConnectionPool.check_connection
    monkeypatch.setattr(
        ConnectionPool, "check_connection", staticmethod(lambda c: checked.append(c) or check(c))
    )
    connection.close()  # back to the pool: the next query borrows one
    assert run_retrying_if_dropped(select_one) == 1
    assert checked == []
    connection.close()
    assert select_one() == 1
    assert len(checked) == 1


@pytest.mark.django_db(transaction=True)
def test_work_on_an_open_connection_just_runs_and_other_errors_are_not_retried():
    runs = []

    def failing():
        runs.append(1)
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 / 0")

    connection.close()
    with pytest.raises(Exception, match="division by zero"):
        run_retrying_if_dropped(failing)
    assert len(runs) == 1
    assert select_one() == 1  # the connection is open now
    assert run_retrying_if_dropped(select_one) == 1


@pytest.mark.django_db(transaction=True)
def test_work_is_not_run_again_when_no_connection_was_to_be_had(monkeypatch):
    from psycopg_pool import PoolTimeout

    attempts = []

    def exhausted(*args, **kwargs):
        attempts.append(1)
        raise PoolTimeout("couldn't get a connection after 10.00 sec")

    connection.close()
    with monkeypatch.context() as patched, pytest.raises(Exception, match="couldn't get a"):
        patched.setattr(connection.pool, "getconn", exhausted)
        run_retrying_if_dropped(select_one)
    assert len(attempts) == 1
