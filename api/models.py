"""Personal access tokens: how a learner's scripts reach their progress through the API."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone


def digest_of(secret: str) -> str:
    """What is kept of a token: its SHA-256. A token is 256 random bits, so a fast hash
    is as safe as a slow one and costs nothing on each request."""
    return hashlib.sha256(secret.encode()).hexdigest()


class TokenQuerySet(models.QuerySet):
    def of(self, user) -> TokenQuerySet:
        """A learner's tokens, newest first."""
        return self.filter(user=user).order_by("-created_at", "-pk")


class Token(models.Model):
    """A personal access token. The secret is shown to its learner once, when it is made
    (api/services.py); only its digest is kept."""

    class Scope(models.TextChoices):
        READ = "read", "Read"
        WRITE = "write", "Read and write"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.READ)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Its rate limit's count (api/auth.py, PerToken): the requests made with it since
    # `window_start`, counted by the statement that finds it (api/services.py, token_use).
    window_start = models.DateTimeField(null=True, blank=True, editable=False)
    # (With a database default too: a process still running the code before it writes
    # tokens without it.)
    window_requests = models.PositiveIntegerField(default=0, db_default=0, editable=False)

    objects = TokenQuerySet.as_manager()

    def __str__(self) -> str:
        return f"token {self.pk}"

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def opens(self) -> bool:
        """Whether it opens the API: not expired (a revoked token is deleted), and its
        learner's account active."""
        return not self.expired and self.user.is_active

    @property
    def writes(self) -> bool:
        return self.scope == self.Scope.WRITE
