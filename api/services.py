"""Writes of personal access tokens: made, used, revoked."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from api.models import Token, digest_of

# What every token starts with: a leaked one is recognisable (secret scanners, logs).
PREFIX = "dlr_"
# Tokens a learner may hold at once: enough for every script they run.
TOKENS_PER_LEARNER = 20
# A token's last use is written at most this often: an API request is then a read only,
# and the page still says when it was last used to the minute.
LAST_USE_STEP = timedelta(minutes=1)


class TooManyTokens(Exception):
    """The learner holds TOKENS_PER_LEARNER tokens already."""


def token_secret() -> str:
    """A new token's secret: PREFIX and 256 random bits."""
    return PREFIX + secrets.token_urlsafe(32)


def token_create(
    *, user, name: str, scope: str, expires_at: datetime | None = None
) -> tuple[Token, str]:
    """Make a token for `user`; return it and its secret, which is not kept (only its
    digest is) and so can be shown this once."""
    secret = token_secret()
    with transaction.atomic():
        # The learner's row, locked: two forms sent at once cannot both pass the limit.
        get_user_model().objects.select_for_update().filter(pk=user.pk).exists()
        if Token.objects.filter(user=user).count() >= TOKENS_PER_LEARNER:
            raise TooManyTokens
        token = Token.objects.create(
            user=user, name=name, scope=scope, expires_at=expires_at, digest=digest_of(secret)
        )
    return token, secret


def token_revoke(*, user, pk: int) -> Token | None:
    """Revoke (delete) `user`'s token `pk`; None when they have no such token."""
    token = Token.objects.filter(user=user, pk=pk).first()
    if token is not None:
        token.delete()
    return token


def token_used(*, token: Token, now: datetime | None = None) -> None:
    """Record that `token` was used now, if its last use is older than LAST_USE_STEP."""
    now = now or timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USE_STEP:
        Token.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
