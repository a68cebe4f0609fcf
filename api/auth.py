"""Who an API request is from: a personal access token in `Authorization: Bearer …`,
and only that. The session cookie is never read here, so a page on another site cannot
act through a learner's browser (no CSRF to guard against)."""

from __future__ import annotations

import copy
import ipaddress
import logging
import threading
from datetime import timedelta

from allauth import app_settings as allauth_settings
from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import AuthorizationError, Throttled
from ninja.security import HttpBearer
from ninja.throttling import AnonRateThrottle, SimpleRateThrottle

from api.models import Token
from api.services import token_use

logger = logging.getLogger(__name__)


class BearerToken(HttpBearer):
    """A valid token of an active learner; with `write`, one of scope "Read and write"
    (another is refused with 403, a missing, wrong, revoked or expired one with 401)."""

    def __init__(self, *, write: bool = False) -> None:
        super().__init__()
        self.write = write

    def authenticate(self, request: HttpRequest, token: str) -> Token | None:
        found = token_use(secret=token, window=per_token.window)
        if found is None or not found.opens:
            counted_wrong(request)
            return None
        if self.write and not found.writes:
            counted_wrong(request)
            raise AuthorizationError(message="This token may only read: make one that may write.")
        return found


def counted_wrong(request: HttpRequest) -> None:
    """Count a token refused (it opens nothing, or not this), per address: past the limit,
    429."""
    if not wrong_tokens.allow_request(request):
        raise Throttled(wait=wrong_tokens.wait())


read = BearerToken()
write = BearerToken(write=True)


class PerToken(SimpleRateThrottle):
    """Requests with a valid token, at most `num_requests` in each window of `duration`
    seconds, per token (each token its own allowance). A window starts with the first
    request after the last one ended; a refused request is told to retry when it ends.
    Counted not in Django's cache but in the token's own row, by the statement that finds
    it (api/services.py, `token_use`): Django Ninja's throttle, its rate's syntax and its
    429, with the count read from the request's token. Cost of a fixed window: a client
    may send up to twice the limit within one period that straddles two windows."""

    _refused = threading.local()

    @property
    def window(self) -> timedelta:
        return timedelta(seconds=self.duration)

    def allow_request(self, request: HttpRequest) -> bool:
        token = request.auth
        if token.window_requests <= self.num_requests:
            return True
        ends = token.window_start + self.window
        self._refused.wait = max((ends - timezone.now()).total_seconds(), 1.0)
        return False

    def wait(self) -> float:
        return self._refused.wait


class PerAddress(AnonRateThrottle):
    """Requests counted per client address (as allauth finds it: NINJA_NUM_PROXIES), in
    Django's cache, made safe for gunicorn's threads: Ninja keeps one throttle for every
    request, and its SimpleRateThrottle keeps the request it is counting (its key, its
    history) on itself, where two threads would mix them up. So each request counts on a
    copy of its own, which `wait` (asked next, in the same thread, when it is refused)
    reads. Like every throttle on a cache, it is approximate: two requests at the same
    instant may both take the last place."""

    _counting = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        mine = self._counting.throttle = copy.copy(self)
        try:
            return super(PerAddress, mine).allow_request(request)
        except Exception:  # the cache is down: the request is served, not limited, and said
            logger.exception("The API's rate limit could not be counted; not applied.")
            mine.history = []
            return True

    def wait(self) -> float | None:
        return super(PerAddress, self._counting.throttle).wait()

    def get_ident(self, request: HttpRequest) -> str | None:
        """An IPv6 client by its network (a /64, as allauth's limits count it: one host
        has them all), any other by its address."""
        found = super().get_ident(request)
        try:
            address = ipaddress.ip_address(found)
        except ValueError:
            return found
        if address.version == 4:
            return found
        prefix = allauth_settings.RATE_LIMIT_IPV6_PREFIX
        return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False).network_address)


per_token = PerToken(settings.API_RATE_LIMIT)
# Tokens that open nothing, per address: guessing one is hopeless (256 bits), but each
# guess costs a look in the database.
wrong_tokens = PerAddress(settings.API_WRONG_TOKEN_RATE_LIMIT)
