"""Authentication backends that take the signed-in user from the query that read the
session (accounts/sessions.py), or else read it with one plain query.

Authenticating is left to Django's and allauth's backends.
"""

from allauth.account import auth_backends as allauth_backends
from django.contrib.auth import backends
from django.db import connection

from accounts.models import User
from accounts.sessions import USER_COLUMNS, user_read_with_session

USER_BY_ID = "SELECT {} FROM accounts_user WHERE id = %s".format(  # noqa: S608 - our own names
    ", ".join(f'"{column}"' for column in USER_COLUMNS)
)


class UserById:
    def get_user(self, user_id):
        user = user_read_with_session(user_id)
        if user is None:
            with connection.cursor() as cursor:
                cursor.execute(USER_BY_ID, [user_id])
                row = cursor.fetchone()
            if row is None:
                return None
            user = User.from_db(connection.alias, USER_COLUMNS, row)
        return user if self.user_can_authenticate(user) else None


class ModelBackend(UserById, backends.ModelBackend):
    """Django's: username and password, as the admin's login form sends them."""


class AuthenticationBackend(UserById, allauth_backends.AuthenticationBackend):
    """allauth's: username or email, and password."""
