"""Django's PostgreSQL backend (as django-prometheus instruments it, counting queries),
lending pooled connections through our own check.

Django hands its pool psycopg's check (a round trip before every connection it lends)
or none, and takes no other. This backend swaps in config.database.check_connection:
the same round trip, skipped for work that runs again if its connection was dropped.
"""

from django_prometheus.db.backends.postgresql import base

from config.database import check_connection


class DatabaseWrapper(base.DatabaseWrapper):
    @property
    def pool(self):
        created = self.alias in self._connection_pools
        pool = super().pool
        if not created and pool is not None and self.settings_dict["CONN_HEALTH_CHECKS"]:
            # Once, as the pool is made. psycopg_pool keeps the `check` it was given here;
            # tests/test_database.py fails if that stops being so.
            pool._check = check_connection
        return pool
