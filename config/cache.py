"""The shared cache when there is no Redis: Django's database cache, each write one
statement.

Django's `DatabaseCache` writes a key in five statements, to work on every database: a
count of the whole table (to cull it when it is full), then, in a transaction, a read of
the key and an insert or an update. PostgreSQL's `INSERT ... ON CONFLICT` writes it in
one, atomically, so `add` is still a lock two processes cannot both take. The rate
limits (allauth's, and the API's of wrong tokens) write on every request they count, and
allauth's takes a lock as well: on Django's backend a visitor's tick spends twelve
statements on its limit, here four. Gain, in paired runs (docs/performance.md, "The
shared cache's writes"): a visitor's tick 190-210 -> 220-236 requests a second (about
15%), nothing else outside the noise. Cost: this module, and the differences below.

Reads, deletes and the table (`createcachetable`) are Django's. Unlike Django's, a write
that fails raises (Django's returned False; a key too long for its column is not kept by
either), and inside a transaction a refused `add` keeps the live row locked until the
commit: nothing here writes to the cache inside a transaction. The table is culled as
Django culls it (expired entries, then a share of the rest when it holds more than
MAX_ENTRIES), but once every CULL_EVERY writes of each cache object (Django makes one
per thread) instead of counted on every write: between two culls it may hold up to
CULL_EVERY more entries per thread.
"""

from __future__ import annotations

import base64
import itertools
import pickle
from contextlib import contextmanager
from datetime import UTC, datetime

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.db import DatabaseCache
from django.db import connections, router
from django.utils.timezone import now

KEY_LENGTH = 255  # the key column's, as `createcachetable` makes it
# Each statement names the table as {table}, quoted (it comes from the settings).
WRITE = (
    "INSERT INTO {table} (cache_key, value, expires) VALUES (%s, %s, %s)"
    " ON CONFLICT (cache_key) DO UPDATE SET value = excluded.value, expires = excluded.expires"
)
# (An entry that is there and live is left as it is: no row is written.)
ADD = WRITE + " WHERE {table}.expires < %s"
TOUCH = "UPDATE {table} SET expires = %s WHERE cache_key = %s AND expires >= %s"
DROP_EXPIRED = "DELETE FROM {table} WHERE expires < %s"
COUNT = "SELECT COUNT(*) FROM {table}"
DROP_FIRST = (
    "DELETE FROM {table} WHERE cache_key IN"
    " (SELECT cache_key FROM {table} ORDER BY cache_key LIMIT %s)"
)
DROP_ALL = "DELETE FROM {table}"


class PostgresCache(DatabaseCache):
    def __init__(self, table: str, params: dict) -> None:
        super().__init__(table, params)
        options = params.get("OPTIONS", {})
        self.table = table
        # (Read as BaseCache reads them.)
        self.max_entries = int(params.get("max_entries", options.get("MAX_ENTRIES", 300)))
        self.cull_frequency = int(params.get("cull_frequency", options.get("CULL_FREQUENCY", 3)))
        self.cull_every = max(1, int(options.get("CULL_EVERY", 100)))
        self.writes = itertools.count(1)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None) -> None:
        self.write(self.make_and_validate_key(key, version=version), value, timeout)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None) -> bool:
        """Set `key` only if it holds nothing live: True if it was set."""
        key = self.make_and_validate_key(key, version=version)
        return self.write(key, value, timeout, only_if_absent=True)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None) -> bool:
        """Move the expiry of a live value (an expired one stays expired, as on Redis)."""
        key = self.make_and_validate_key(key, version=version)
        with self.cursor() as (cursor, statement):
            cursor.execute(statement(TOUCH), [self.expiry(timeout), key, now()])
            return cursor.rowcount == 1

    def write(self, key: str, value, timeout, *, only_if_absent: bool = False) -> bool:
        """Write `value` under `key` in one statement (`only_if_absent`: unless a live
        value is there); every CULL_EVERY writes, cull the table first."""
        if next(self.writes) % self.cull_every == 0:
            self.cull()
        if len(key) > KEY_LENGTH:  # (not kept, as Django's backend does: its insert fails)
            return False
        encoded = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
        with self.cursor() as (cursor, statement):
            if only_if_absent:
                cursor.execute(statement(ADD), [key, encoded, self.expiry(timeout), now()])
            else:
                cursor.execute(statement(WRITE), [key, encoded, self.expiry(timeout)])
            return cursor.rowcount == 1

    def cull(self) -> None:
        """Drop the expired entries; then, past MAX_ENTRIES, the first 1/CULL_FREQUENCY
        of the rest by key (Django's rule; CULL_FREQUENCY 0: all of them)."""
        with self.cursor() as (cursor, statement):
            cursor.execute(statement(DROP_EXPIRED), [now()])
            cursor.execute(statement(COUNT))
            (left,) = cursor.fetchone()
            if left <= self.max_entries:
                return
            if self.cull_frequency == 0:
                cursor.execute(statement(DROP_ALL))
            else:
                cursor.execute(statement(DROP_FIRST), [left // self.cull_frequency])

    def expiry(self, timeout) -> datetime:
        """When a value written now with `timeout` expires (no timeout: never)."""
        at = self.get_backend_timeout(timeout)  # (seconds since the epoch, or None)
        when = datetime.max.replace(tzinfo=UTC) if at is None else datetime.fromtimestamp(at, UTC)
        return when.replace(microsecond=0)

    def connection(self):
        return connections[router.db_for_write(self.cache_model_class)]

    @contextmanager
    def cursor(self):
        """A cursor on the cache's database, and the statements on its table."""
        connection = self.connection()
        table = connection.ops.quote_name(self.table)
        with connection.cursor() as cursor:
            yield cursor, lambda sql: sql.format(table=table)
