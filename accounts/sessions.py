"""Database sessions that know their user, so that a signed-in request reads its
session and its user in one query.

Every signed-in request needs both; read one after the other they cost as much as the
rest of a progress POST (docs/performance.md). The session row carries the signed-in
user's id (set whenever the session is saved), the session is read joined to that user,
and the authentication backends take the user from there (accounts/backends.py). Django
still checks everything it checks: the session's expiry, the user's session hash, that
the user is active.
"""

from contextvars import ContextVar
from copy import deepcopy

from django.contrib.auth import SESSION_KEY
from django.contrib.auth import middleware as auth_middleware
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


# Session data already verified and decoded in this process, by its exact signed text:
# a request with the same session text skips the signature check and the JSON. A text
# that was never verified here is checked as usual, so this trusts nothing new.
_decoded: dict[str, dict] = {}
DECODED_MAX = 10_000


class SessionStore(DatabaseSessionStore):
    # The signed-in user, as read with the session; None if none or not read yet.
    user: User | None = None

    def decode(self, session_data: str) -> dict:
        decoded = _decoded.get(session_data)
        if decoded is None:
            decoded = super().decode(session_data)
            if len(_decoded) >= DECODED_MAX:
                _decoded.clear()
            _decoded[session_data] = decoded
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


def get_user(request):
    token = authenticating.set(request.session)
    try:
        return auth_middleware.get_user(request)
    finally:
        authenticating.reset(token)


class AuthenticationMiddleware(auth_middleware.AuthenticationMiddleware):
    """Django's, with the user taken from the session's own read when it can be."""

    def process_request(self, request):
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: get_user(request))
