"""Who an API request is from: a personal access token in `Authorization: Bearer …`,
and only that. The session cookie is never read here, so a page on another site cannot
act through a learner's browser (no CSRF to guard against)."""

from __future__ import annotations

import copy
import threading

from django.conf import settings
from django.http import HttpRequest
from ninja.errors import AuthorizationError
from ninja.security import HttpBearer
from ninja.throttling import AuthRateThrottle

from api.models import Token, digest_of
from api.services import token_used


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
            return None
        if not found.opens:
            return None
        if self.write and not found.writes:
            raise AuthorizationError(message="This token may only read: make one that may write.")
        token_used(token=found)
        return found


read = BearerToken()
write = BearerToken(write=True)


class PerToken(AuthRateThrottle):
    """Django Ninja's limit per token (per address for a request without one), made safe
    for gunicorn's threads: Ninja keeps one throttle for every request, and its
    SimpleRateThrottle keeps the request it is counting (its key, its history) on itself,
    where two threads would mix them up. So each request counts on a copy of its own,
    which `wait` (asked next, in the same thread, when it is refused) reads."""

    _counting = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        mine = self._counting.throttle = copy.copy(self)
        return AuthRateThrottle.allow_request(mine, request)

    def wait(self) -> float | None:
        return AuthRateThrottle.wait(self._counting.throttle)


per_token = PerToken(settings.API_RATE_LIMIT)
