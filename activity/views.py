from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from accounts.models import User
from activity.digests import unsubscribed_id


# A mail client's one-click unsubscribe (RFC 8058) is a POST without a CSRF token; the
# signed token in the URL is what says who, and all it can do is turn the email off.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def digest_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """Stop the weekly summary, from its link, without logging in: a page with the button
    (GET), or at once (POST, as a mail client's one click sends it)."""
    pk = unsubscribed_id(token)
    if pk is None:
        return render(request, "activity/unsubscribe.html", {"invalid": True}, status=400)
    if request.method == "POST":
        User.objects.filter(pk=pk).update(weekly_email=False)
    return render(request, "activity/unsubscribe.html", {"done": request.method == "POST"})
