"""Authentication backends that load the signed-in user with one hand-written query.

Every signed-in request loads its user; building the ORM query took longer than running
it (docs/performance.md). Authenticating is left to Django's and allauth's backends.
"""

from allauth.account import auth_backends as allauth_backends
from django.contrib.auth import backends
from django.db import connection

from accounts.models import User

COLUMNS = [field.attname for field in User._meta.concrete_fields]
USER_BY_ID = "SELECT {} FROM {} WHERE id = %s".format(  # noqa: S608 - our own names
    ", ".join(f'"{column}"' for column in COLUMNS), User._meta.db_table
)


class UserById:
    def get_user(self, user_id):
        with connection.cursor() as cursor:
            cursor.execute(USER_BY_ID, [user_id])
            row = cursor.fetchone()
        if row is None:
            return None
        user = User.from_db(connection.alias, COLUMNS, row)
        return user if self.user_can_authenticate(user) else None


class ModelBackend(UserById, backends.ModelBackend):
    """Django's: username and password, as the admin's login form sends them."""


class AuthenticationBackend(UserById, allauth_backends.AuthenticationBackend):
    """allauth's: username or email, and password."""
