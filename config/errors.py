"""The site's own error pages where Django's would fail."""

from django.http import HttpRequest, HttpResponseBadRequest
from django.shortcuts import render


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponseBadRequest:
    """400, without reading the request's body: Django's own view is wrapped in
    `requires_csrf_token`, which reads `request.POST` again, and a body Django could not
    read (a form in UTF-16) would raise the same error a second time: a 500."""
    return render(request, "400.html", status=400)
