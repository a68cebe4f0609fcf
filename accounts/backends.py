"""Django's and allauth's authentication backends, under the names that sessions signed
in before today recorded (`_auth_user_backend`): Django signs a session in only through a
backend still listed in AUTHENTICATION_BACKENDS, so these names must stay."""

from allauth.account import auth_backends as allauth_backends
from django.contrib.auth import backends


class ModelBackend(backends.ModelBackend):
    """Django's: username and password."""


class AuthenticationBackend(allauth_backends.AuthenticationBackend):
    """allauth's: username or email, and password."""
