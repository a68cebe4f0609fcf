"""Writes of personal access tokens: made, used, revoked."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from api.models import Token, digest_of

User = get_user_model()

# What every token starts with: a leaked one is recognisable (secret scanners, logs).
PREFIX = "dlr_"
# Tokens a learner may hold at once: enough for every script they run.
TOKENS_PER_LEARNER = 20


class TooManyTokens(Exception):
    """The learner holds TOKENS_PER_LEARNER tokens already."""


class TokenNameTaken(Exception):
    """The learner holds a token of that name already."""


def token_secret() -> str:
    """A new token's secret: PREFIX and 256 random bits."""
    return PREFIX + secrets.token_urlsafe(32)


def token_create(
    *, user, name: str, scope: str, expires_at: datetime | None = None
) -> tuple[Token, str]:
    """Make a token for `user`; return it and its secret, which is not kept (only its
    digest is) and so can be shown this once. Names are the learner's own: one each."""
    secret = token_secret()
    with transaction.atomic():
        # The learner's row, locked: two forms sent at once cannot both pass the limit.
        User.objects.select_for_update().filter(pk=user.pk).exists()
        if Token.objects.filter(user=user).count() >= TOKENS_PER_LEARNER:
            raise TooManyTokens
        # (A form sent twice made two, and the first one's secret was never seen.)
        if Token.objects.filter(user=user, name=name).exists():
            raise TokenNameTaken
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


TOKEN_COLUMNS = [field.attname for field in Token._meta.concrete_fields]
USER_COLUMNS = [field.attname for field in User._meta.concrete_fields]
# A request's token found by its digest, with its learner, its use recorded and counted in
# its rate limit's window (a new window from the first request after the last one ended).
# (In SET, every column named is its value before this statement.)
TOKEN_USE = """
UPDATE {token} t SET
  window_requests = CASE WHEN t.window_start > %(since)s THEN t.window_requests + 1 ELSE 1 END,
  window_start = CASE WHEN t.window_start > %(since)s THEN t.window_start ELSE %(now)s END,
  last_used_at = %(now)s
FROM {user} u
WHERE t.digest = %(digest)s AND u.{user_pk} = t.{token_user}
RETURNING {token_columns}, {user_columns}
""".format(
    token=Token._meta.db_table,
    user=User._meta.db_table,
    user_pk=User._meta.pk.column,
    token_user=Token._meta.get_field("user").column,
    token_columns=", ".join(f't."{field.column}"' for field in Token._meta.concrete_fields),
    user_columns=", ".join(f'u."{field.column}"' for field in User._meta.concrete_fields),
)


def token_use(*, secret: str, window: timedelta) -> Token | None:
    """The token whose secret is `secret`, with its learner (`token.user`), its use
    recorded (`last_used_at`) and counted in its rate limit's window of length `window`
    (`window_requests`, this request included); None when no token has it. Whether it
    opens anything, and whether its count is within the limit, is for the caller to say
    (api/auth.py): every request that presents it is counted.

    One statement (the row locked only while it runs), where the ORM took one to find the
    token and Django Ninja's throttle two more on Django's cache to count it: in the
    bench, GET /me/progress 0.22-0.24 -> 0.33-0.34 of /healthz and PUT 0.25-0.28 ->
    0.37-0.38, as fast as the tick (docs/performance.md, "The personal API"). Two
    requests at the same instant are both counted, which a count kept in a cache could
    not promise. Cost: a write of the token's row on each request, even one it then
    refuses (expired, its learner deactivated, a Read token's PUT), and SQL of our own."""
    now = timezone.now()
    params = {"digest": digest_of(secret), "since": now - window, "now": now}
    with connection.cursor() as cursor:
        cursor.execute(TOKEN_USE, params)
        row = cursor.fetchone()
    if row is None:
        return None
    token = Token.from_db(connection.alias, TOKEN_COLUMNS, row[: len(TOKEN_COLUMNS)])
    token.user = User.from_db(connection.alias, USER_COLUMNS, row[len(TOKEN_COLUMNS) :])
    return token
