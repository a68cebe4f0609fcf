"""Database sessions that record who is signed in with them (accounts.Session.user), so
that deleting a user ends their sessions; and that read the session and its user in one
query, since nearly every request needs both.

Django's database sessions otherwise, extended only through documented points:
`get_model_class` and `create_model_instance` ("Extending database-backed session
engines"), `load` (a session store's public method), and the authentication backends'
`get_user` (accounts/backends.py), which takes the user read here instead of reading it
again. Django still decides who is signed in, exactly as always: the session's expiry
(in the query, as Django's own), the session hash of the user's password, and
`user_can_authenticate` (is_active). The gain, measured in `make bench` (paired runs,
docs/performance.md): one query and one ORM compilation less on every signed-in request.
"""

import re
from contextvars import ContextVar

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import connection
from django.utils import timezone

from accounts.models import Session, User

# What a session key Django made looks like (it makes 32 of these characters); a cookie
# holding anything else (a NUL, which PostgreSQL refuses in text) names no session.
WELL_FORMED_KEY = re.compile(f"[{re.escape(VALID_KEY_CHARS)}]{{8,40}}")

USER_COLUMNS = [field.attname for field in User._meta.concrete_fields]
SESSION_WITH_USER = (  # noqa: S608 - our own column names
    "SELECT s.session_data, {user}"
    " FROM accounts_session s LEFT JOIN accounts_user u ON u.id = s.user_id"
    " WHERE s.session_key = %s AND s.expire_date > %s"
).format(user=", ".join(f'u."{column}"' for column in USER_COLUMNS))

# The user the session this request loaded names, as read with it; taken (once) by the
# backends' get_user, which Django calls only after reading the session.
read_with_session: ContextVar[User | None] = ContextVar("read_with_session", default=None)


class SessionStore(DatabaseSessionStore):
    def __init__(self, session_key: str | None = None) -> None:
        if session_key is not None and not WELL_FORMED_KEY.fullmatch(session_key):
            session_key = None  # a malformed cookie: no session, as if none was sent
        super().__init__(session_key)

    @classmethod
    def get_model_class(cls):
        return Session

    def create_model_instance(self, data):
        session = super().create_model_instance(data)
        session.user_id = data.get(SESSION_KEY)
        return session

    def load(self) -> dict:
        with connection.cursor() as cursor:
            cursor.execute(SESSION_WITH_USER, [self.session_key, timezone.now()])
            row = cursor.fetchone()
        if row is None:  # unknown or expired: Django's own load forgets the key
            read_with_session.set(None)
            return super().load()
        session_data, *user = row
        found = User.from_db(connection.alias, USER_COLUMNS, user) if user[0] is not None else None
        read_with_session.set(found)
        return self.decode(session_data)
