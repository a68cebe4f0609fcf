"""Turn a DATABASE_URL into Django's DATABASES entry, and check the pool's connections."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import TypeVar
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured
from psycopg_pool import ConnectionPool

T = TypeVar("T")

SCHEMES = {"postgres", "postgresql", "pgsql"}


def parse_database_url(url: str) -> dict:
    """Parse `postgresql://user:password@host:port/name?option=value`.

    The host may be a percent-encoded socket directory (`%2Fvar%2Frun%2Fpostgresql`);
    query options (sslmode, connect_timeout, ...) pass through to psycopg.
    """
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES:
        raise ImproperlyConfigured(f"DATABASE_URL must be a PostgreSQL URL, not {parts.scheme!r}.")
    # urlsplit lowercases .hostname, which would break socket paths: read the netloc itself.
    hostport = parts.netloc.rpartition("@")[2]
    host, _, port = hostport.rpartition(":")
    if not port.isdigit():
        host, port = hostport, ""
    options = dict(parse_qsl(parts.query))
    host = options.pop("host", unquote(host))
    return {
        "ENGINE": "config.postgresql",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": host,
        "PORT": port,
        "OPTIONS": options,
    }


# Set while a caller that runs again on a dropped connection borrows one.
_retries_if_dropped: ContextVar[bool] = ContextVar("retries_if_dropped", default=False)


def check_connection(pooled) -> None:
    """The pool's check of each connection it lends: a round trip to the server, so that a
    connection the server has dropped (a restart, a failover) is replaced before a request
    fails on it. Skipped for a borrower that runs again on a fresh connection anyway."""
    if not _retries_if_dropped.get():
        ConnectionPool.check_connection(pooled)


def run_retrying_if_dropped(work: Callable[[], T]) -> T:
    """`work()` on a connection borrowed without the pool's round trip to check it; if
    the server had dropped it, once more on a checked one. Only for work that is safe to
    run twice (setting a state, not changing it by an amount): the first run may have
    reached the server before the connection went.

    The saving applies only when the request has no connection yet and is in no
    transaction; otherwise `work` just runs."""
    from django.db import Error, connection  # not at the top: the settings import this module

    if connection.connection is not None or connection.in_atomic_block:
        return work()
    token = _retries_if_dropped.set(True)
    try:
        return work()
    except Error:
        # Not when no connection was to be had: the pool's own wait and reconnecting
        # already tried, and trying again would only double the wait.
        dropped = connection.connection is not None and connection.connection.broken
        if not dropped:
            raise
    finally:
        _retries_if_dropped.reset(token)
    connection.close()  # the pool discards a broken connection handed back to it
    return work()
