"""Authentication backends that take the signed-in user from the query that read the
session (accounts/sessions.py), and otherwise do exactly what Django's and allauth's do.
"""

from allauth.account import auth_backends as allauth_backends
from django.contrib.auth import backends

from accounts.sessions import user_read_with_session


class UserReadWithSession:
    def get_user(self, user_id):
        user = user_read_with_session(user_id)
        if user is None:  # not read with the session (or a session naming someone else)
            return super().get_user(user_id)
        return user if self.user_can_authenticate(user) else None


class ModelBackend(UserReadWithSession, backends.ModelBackend):
    """Django's: username and password, as the admin's login form sends them."""


class AuthenticationBackend(UserReadWithSession, allauth_backends.AuthenticationBackend):
    """allauth's: username or email, and password."""
