"""Django's and allauth's authentication backends, taking the signed-in user from the
query that read the session (accounts/sessions.py) rather than reading it again; under
the names sessions signed in before recorded (`_auth_user_backend`), which must stay:
Django signs a session in only through a backend still listed in AUTHENTICATION_BACKENDS.
"""

from allauth.account import auth_backends as allauth_backends
from django.contrib.auth import backends

from accounts.sessions import read_with_session


class UserReadWithSession:
    def get_user(self, user_id):
        user = read_with_session.get()
        read_with_session.set(None)  # once: the next request reads its own
        if user is None or str(user.pk) != str(user_id):
            return super().get_user(user_id)
        return user if self.user_can_authenticate(user) else None


class ModelBackend(UserReadWithSession, backends.ModelBackend):
    """Django's: username and password."""


class AuthenticationBackend(UserReadWithSession, allauth_backends.AuthenticationBackend):
    """allauth's: username or email, and password."""
