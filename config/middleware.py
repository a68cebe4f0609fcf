import logging
import time

from django.conf import settings
from django.http import HttpResponseBadRequest
from django.utils.cache import patch_cache_control

from config.logging import route_of

access = logging.getLogger("config.access")


def access_log(get_response):
    """One log line a request, naming the URL pattern it matched, never its path: share
    tokens and password-reset and email-confirmation keys travel in paths, and whoever
    reads the logs could use them. (gunicorn's access log, which wrote the path, is off:
    scripts/serve.) A request no pattern matched (a static file, a 404) has no route."""

    def middleware(request):
        started = time.perf_counter()
        response = get_response(request)
        if access.isEnabledFor(logging.INFO):
            match, route = request.resolver_match, route_of(request)
            access.info(
                "%s %s %s",
                request.method,
                route,
                response.status_code,
                extra={
                    "status_code": response.status_code,
                    "fields": {
                        "method": request.method,
                        "route": route,
                        "view": match.view_name if match is not None else None,
                        "duration_us": round((time.perf_counter() - started) * 1e6),
                    },
                },
            )
        return response

    return middleware


def permissions_policy(get_response):
    """Deny the browser features this site never uses (Django has no setting for it)."""

    def middleware(request):
        response = get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response

    return middleware


def allauth_pages_private(get_response):
    """allauth's pages (email addresses, password change, log-in, sign-up) answer as the
    site's own account pages do (accounts/decorators.py): never kept by the browser or a
    cache on the way, so nobody reads them back after the learner has logged out."""

    def middleware(request):
        response = get_response(request)
        match = request.resolver_match
        if match is not None and match.func.__module__.startswith("allauth."):
            patch_cache_control(response, private=True, no_store=True)
        return response

    return middleware


class NulRefused:
    """A query string with a NUL character is a 400 on every page: PostgreSQL's text cannot
    hold one, so a search or an admin filter given one would end in a 500. (Forms refuse
    it themselves, as Django's form fields do; the API answers its own errors, in JSON.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view, args, kwargs):
        if "ninja" in request.resolver_match.app_names:  # Django Ninja's URLs' app name
            return None
        if any("\x00" in key or "\x00" in "".join(values) for key, values in request.GET.lists()):
            return HttpResponseBadRequest(
                "A query parameter may not contain a NUL character.", content_type="text/plain"
            )
        return None
