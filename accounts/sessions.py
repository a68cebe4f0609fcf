"""Database sessions that record who is signed in with them (accounts.Session.user), so
that deleting a user ends their sessions. Django's own database sessions otherwise,
extended the way Django documents ("Extending database-backed session engines"):
`get_model_class` and `create_model_instance`."""

import re

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore

from accounts.models import Session

# What a session key Django made looks like (it makes 32 of these characters); a cookie
# holding anything else (a NUL, which PostgreSQL refuses in text) names no session.
WELL_FORMED_KEY = re.compile(f"[{re.escape(VALID_KEY_CHARS)}]{{8,40}}")


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
