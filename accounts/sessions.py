"""Database sessions, loaded with one hand-written query.

Every signed-in request loads its session; building the ORM query took longer than
running it (docs/performance.md). Same table, same data, same expiry rule as Django's
own database backend, which does everything else.
"""

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import connection
from django.utils import timezone


class SessionStore(DatabaseSessionStore):
    def _get_session_from_db(self):
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT session_data, expire_date FROM {self.model._meta.db_table}"  # noqa: S608 - our own table name
                " WHERE session_key = %s AND expire_date > %s",
                [self.session_key, timezone.now()],
            )
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        session_data, expire_date = row
        return self.model(
            session_key=self.session_key, session_data=session_data, expire_date=expire_date
        )
