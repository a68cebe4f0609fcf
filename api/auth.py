"""Who an API request is from: a personal access token in `Authorization: Bearer …`,
and only that. The session cookie is never read here, so a page on another site cannot
act through a learner's browser (no CSRF to guard against)."""

from __future__ import annotations

import copy
import logging
import threading

from django.conf import settings
from django.http import HttpRequest
from ninja.errors import AuthorizationError, Throttled
from ninja.security import HttpBearer
from ninja.throttling import AnonRateThrottle, AuthRateThrottle

from api.models import Token, digest_of
from api.services import token_used

logger = logging.getLogger(__name__)


class BearerToken(HttpBearer):
    """A valid token of an active learner; with `write`, one of scope "Read and write"
    (another is refused with 403, a missing, wrong, revoked or expired one with 401)."""

    def __init__(self, *, write: bool = False) -> None:
        super().__init__()
        self.write = write

    def authenticate(self, request: HttpRequest, token: str) -> Token | None:
        try:
            found = Token.objects.select_related("user").get(digest=digest_of(token))
        except Token.DoesNotExist:
            found = None
        if found is None or not found.opens:
            counted_wrong(request)
            return None
        if self.write and not found.writes:
            counted_wrong(request)
            raise AuthorizationError(message="This token may only read: make one that may write.")
        token_used(token=found)
        return found


def counted_wrong(request: HttpRequest) -> None:
    """Count a token refused (it opens nothing, or not this), per address: past the limit,
    429."""
    if not wrong_tokens.allow_request(request):
        raise Throttled(wait=wrong_tokens.wait())


read = BearerToken()
write = BearerToken(write=True)


class CountedApart:
    """A Django Ninja throttle made safe for gunicorn's threads: Ninja keeps one throttle
    for every request, and its SimpleRateThrottle keeps the request it is counting (its
    key, its history) on itself, where two threads would mix them up. So each request
    counts on a copy of its own, which `wait` (asked next, in the same thread, when it
    is refused) reads. Like every throttle on a cache, it is approximate: two requests
    at the same instant may both take the last place."""

    _counting = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        mine = self._counting.throttle = copy.copy(self)
        try:
            return super(CountedApart, mine).allow_request(request)
        except Exception:  # the cache is down: the request is served, not limited, and said
            logger.exception("The API's rate limit could not be counted; not applied.")
            mine.history = []
            return True

    def wait(self) -> float | None:
        return super(CountedApart, self._counting.throttle).wait()


class PerToken(CountedApart, AuthRateThrottle):
    """Requests with a valid token, counted per token (each token its own allowance)."""

    def get_cache_key(self, request: HttpRequest) -> str:
        return self.cache_format % {"scope": "token", "ident": request.auth.pk}


class PerAddress(CountedApart, AnonRateThrottle):
    """Requests counted per client address (as allauth finds it: NINJA_NUM_PROXIES)."""


per_token = PerToken(settings.API_RATE_LIMIT)
# Tokens that open nothing, per address: guessing one is hopeless (256 bits), but each
# guess costs a look in the database.
wrong_tokens = PerAddress(settings.API_WRONG_TOKEN_RATE_LIMIT)
