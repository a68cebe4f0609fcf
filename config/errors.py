"""The site's own error pages where Django's would fail."""

from django.http import HttpRequest, HttpResponseBadRequest
from django.template.loader import render_to_string


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponseBadRequest:
    """400, made without the request, as Django's own 400 and 500 pages are. Its body may
    be unreadable (Django's own view is wrapped in `requires_csrf_token`, which reads
    `request.POST` again, and a form in UTF-16 would raise the same error a second time:
    a 500), and a request refused for its Host header never reached the middleware that
    says who is signed in, which the layout's navigation asks."""
    return HttpResponseBadRequest(render_to_string("400.html"))
