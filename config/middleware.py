import logging
import time
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.db import OperationalError
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import resolve_url
from django.template.loader import render_to_string
from django.utils.cache import patch_cache_control
from django_htmx.http import reselect, reswap, retarget

from config.logging import route_of

access = logging.getLogger("config.access")
logger = logging.getLogger(__name__)


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


# What an htmx request that failed is told, by the answer's status (bar a plain-text
# answer of the view's own, which says it better).
FAILED = {
    400: "The site could not read what was sent. Reload the page, then try again.",
    403: "The site refused this: your session may have changed in another tab. Reload"
    " the page, then try again.",
    404: "This is not on the site any more (a curator may have just changed it). Reload"
    " the page to see it as it is now.",
}
FAILED_ON_OUR_SIDE = (
    "Something went wrong on our side. Reload the page to see what was saved, then try"
    " again if need be."
)
LOGGED_OUT = "You are not logged in any more. Log in again, then try again."
LOGGED_OUT_WRITING = (
    "You are not logged in any more, so this was not saved. Log in again, then send it"
    " again: what you wrote is still here."
)
# The answers said in a sentence: a page's or a view's plain text, never the API's JSON.
SAID_OVER = ("text/html", "text/plain")


def htmx_failures(get_response):
    """An htmx request that failed is told so in the page's alert region (#page-alert),
    in a sentence: never in silence, nor by an error page or the log-in page swapped over
    the control it came from (a note's editor, and what was typed in it). A 4xx or 5xx
    page or plain-text answer (bar a 429, which says so already, and an answer that names
    where it goes) becomes that sentence, its status and headers kept; a redirect to log
    in (a session that ended) becomes a 401 with a link to log in, in another tab, back
    to the page. The answer names the alert region as where it goes (HX-Retarget), which
    static/js/site.js swaps in; it pushes no URL. Requests without htmx are left as they
    are, and so is any answer in another form (the API's JSON)."""

    def middleware(request):
        response = get_response(request)
        if request.headers.get("HX-Request") != "true" or "HX-Retarget" in response:
            return response
        status, login = response.status_code, ""
        writing = request.method not in ("GET", "HEAD")
        log_in = resolve_url(settings.LOGIN_URL) if status in (301, 302) else None
        if log_in and urlsplit(response.get("Location", "")).path == log_in:
            page = urlsplit(request.headers.get("HX-Current-URL", ""))
            back = page.path + (f"?{page.query}" if page.query else "")
            login = f"{log_in}?{urlencode({'next': back})}" if back else log_in
            said = LOGGED_OUT_WRITING if writing else LOGGED_OUT
            del response["Location"]
            response.status_code = 401
        elif (
            status < 400
            or status == 429
            or response.streaming
            or not response.get("Content-Type", "").startswith(SAID_OVER)
        ):
            return response
        elif response["Content-Type"].startswith("text/plain") and status in (400, 503):
            said = response.content.decode()
        elif status >= 500:
            said = FAILED_ON_OUR_SIDE
        else:
            said = FAILED.get(
                status, f"This could not be done (error {status}). Reload the page, then try again."
            )
        response.content = render_to_string("alert.html", {"said": said, "login": login})
        response["Content-Type"] = "text/html; charset=utf-8"
        if "Content-Length" in response:
            response["Content-Length"] = str(len(response.content))
        response["Cache-Control"] = "no-store"
        response["HX-Push-Url"] = "false"
        return reselect(retarget(reswap(response, "innerHTML"), "#page-alert"), ".alert-body")

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


# What PostgreSQL says of a statement it gave up on: the statement timeout (a lock held
# by another transaction meanwhile, say), or a lock not to be had.
BUSY_STATES = {"57014", "55P03"}
BUSY = "The site is busy right now, and nothing was saved. Please try again in a moment."


class DatabaseBusy:
    """A statement the database gave up on (waiting for a lock another transaction held,
    until the statement timeout) is a 503 that says nothing was saved and to try again,
    with htmx in the page's alert (`htmx_failures`), where it was a 500 saying something
    went wrong. A view writes in one transaction (a service's, a form's), which the
    failed statement rolled back: nothing of it was written."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        state = getattr(exception.__cause__, "sqlstate", None)
        if not isinstance(exception, OperationalError) or state not in BUSY_STATES:
            return None
        logger.warning("A statement was given up on (%s): answered 503.", state)
        if request.headers.get("HX-Request") == "true":
            response = HttpResponse(BUSY, status=503, content_type="text/plain")
        else:
            response = HttpResponse(render_to_string("503.html", {"said": BUSY}), status=503)
        response["Retry-After"] = "5"
        return response
