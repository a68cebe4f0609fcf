"""Database sessions that know their user, so that a signed-in request reads its
session and its user in one query.

Every signed-in request needs both; read one after the other they cost as much as the
rest of a progress POST (docs/performance.md). The session row carries the signed-in
user's id (set whenever the session is saved), the session is read joined to that user,
and the authentication backends take the user from there (accounts/backends.py). Django
still checks everything it checks: the session's expiry, the user's session hash, that
the user is active.

The busiest write, a tick, need not read the session at all: once Django has verified
that a session signs its user in, this process remembers the session's text and the
user's password as they were (`VerifiedSession`), and the write can carry the condition
that both are still exactly so (`STILL_SIGNED_IN`). Django's verdict depends on nothing
else (the session's text, the user's password hash and `is_active`, the expiry, and the
settings), so a write made under that condition is one Django would have allowed; when
the condition fails, nothing is written and the request is checked the usual way. A new
rule for who is signed in (a custom `user_can_authenticate`, say) must be added to
STILL_SIGNED_IN too, and to the ways of signing out that tests/test_sessions.py tries.
"""

import re
from contextvars import ContextVar
from copy import deepcopy
from typing import NamedTuple

from django.contrib.auth import SESSION_KEY
from django.contrib.auth import middleware as auth_middleware
from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import connection
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from accounts.models import Session, User

USER_COLUMNS = [field.attname for field in User._meta.concrete_fields]
SESSION_WITH_USER = (  # noqa: S608 - our own column names
    "SELECT s.session_data, s.expire_date, {user}"
    " FROM accounts_session s LEFT JOIN accounts_user u ON u.id = s.user_id"
    " WHERE s.session_key = %s AND s.expire_date > %s"
).format(user=", ".join(f'u."{column}"' for column in USER_COLUMNS))


# Memories of this process, each bounded: once full, it starts again from empty.
MEMORY_SIZE = 10_000


def remember(memory: dict, key, value) -> None:
    if len(memory) >= MEMORY_SIZE:
        memory.clear()
    memory[key] = value


# Session data already verified and decoded in this process, by its exact signed text:
# a request with the same session text skips the signature check and the JSON. A text
# that was never verified here is checked as usual, so this trusts nothing new.
_decoded: dict[str, dict] = {}


# What a session key Django made looks like (it makes 32 of these characters); a cookie
# holding anything else (a NUL, which PostgreSQL refuses in text) names no session.
WELL_FORMED_KEY = re.compile(f"[{re.escape(VALID_KEY_CHARS)}]{{8,40}}")


class SessionStore(DatabaseSessionStore):
    # The signed-in user, as read with the session; None if none or not read yet.
    user: User | None = None
    # The session's key and signed text as read from the database, if it was.
    read: tuple[str, str] | None = None

    def __init__(self, session_key: str | None = None) -> None:
        if session_key is not None and not WELL_FORMED_KEY.fullmatch(session_key):
            session_key = None  # a malformed cookie: no session, as if none was sent
        super().__init__(session_key)

    def decode(self, session_data: str) -> dict:
        decoded = _decoded.get(session_data)
        if decoded is None:
            decoded = super().decode(session_data)
            remember(_decoded, session_data, decoded)
        return deepcopy(decoded)  # the request may change its session, nested values too

    @classmethod
    def get_model_class(cls):
        return Session

    def _get_session_from_db(self):
        with connection.cursor() as cursor:
            cursor.execute(SESSION_WITH_USER, [self.session_key, timezone.now()])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        session_data, expire_date, *user = row
        self.read = (self.session_key, session_data)
        if user[0] is not None:
            self.user = User.from_db(connection.alias, USER_COLUMNS, user)
        return self.model(
            session_key=self.session_key, session_data=session_data, expire_date=expire_date
        )

    def create_model_instance(self, data):
        session = super().create_model_instance(data)
        session.user_id = data.get(SESSION_KEY)
        return session


# The session whose user is being authenticated, for the backends' get_user().
authenticating: ContextVar[SessionStore | None] = ContextVar("authenticating", default=None)


def user_read_with_session(user_id) -> User | None:
    """The user the session being authenticated was read with, if it is `user_id`."""
    session = authenticating.get()
    user = getattr(session, "user", None)
    return user if user is not None and str(user.pk) == str(user_id) else None


class VerifiedSession(NamedTuple):
    """A session this process has seen sign its user in: its key and signed text, and
    the user's id and password hash, all as they were when Django verified them."""

    session_key: str
    session_data: str
    user_id: int
    password: str


# The condition, for a statement's WHERE, that the session named by %(session_key)s
# still signs in %(user)s exactly as a VerifiedSession recorded; %(now)s is the time.
STILL_SIGNED_IN = """EXISTS (
    SELECT FROM accounts_session s JOIN accounts_user u ON u.id = s.user_id
    WHERE s.session_key = %(session_key)s AND s.session_data = %(session_data)s
      AND s.expire_date > %(now)s
      AND u.id = %(user)s AND u.password = %(password)s AND u.is_active
)"""

# By session key.
verified_sessions: dict[str, VerifiedSession] = {}


def verified_session(request) -> VerifiedSession | None:
    """How this process last saw the request's session sign its user in, if it has: for
    a write conditioned on STILL_SIGNED_IN, without reading the session first."""
    verified = verified_sessions.get(request.session.session_key)
    if verified is not None:
        request.session.accessed = True  # the answer depends on the session: Vary: Cookie
    return verified


def get_user(request):
    session = request.session
    token = authenticating.set(session)
    try:
        user = auth_middleware.get_user(request)
    finally:
        authenticating.reset(token)
    # Remember what Django has just verified: the session as it was read, if this request
    # has not changed it (then what was verified is not what was read).
    if user.is_authenticated and session.read is not None and not session.modified:
        session_key, session_data = session.read
        remember(
            verified_sessions,
            session_key,
            VerifiedSession(session_key, session_data, user.pk, user.password),
        )
    return user


class AuthenticationMiddleware(auth_middleware.AuthenticationMiddleware):
    """Django's, with the user taken from the session's own read when it can be."""

    def process_request(self, request):
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: get_user(request))
