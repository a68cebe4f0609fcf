import json

from allauth.account.utils import has_verified_email
from allauth.core import ratelimit
from allauth.socialaccount.adapter import get_adapter
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from accounts.decorators import private_page
from accounts.forms import AccountDeleteForm, ProfileForm
from accounts.services import account_delete, account_export
from roadmap.models import ShareLink


@private_page
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    # Not the profile's form (which always sends these): what it leaves out would be
    # saved as emptied, and the learner's settings lost.
    if request.method == "POST" and not {"display_name", "weekly_goal"} <= request.POST.keys():
        return HttpResponseBadRequest(
            "Send the profile's form: display_name, time_zone, weekly_goal and the choices.",
            content_type="text/plain",
        )
    data = request.POST if request.method == "POST" else None
    form = ProfileForm(data, instance=request.user)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():  # (with what a new name rewrites: curation's credits)
            form.save()
        messages.success(request, "Your profile was saved.")
        return redirect("profile")
    context = {
        "form": form,
        "email_verified": has_verified_email(request.user, request.user.email),
        "providers": get_adapter(request).connected(request.user),
    }
    return render(request, "accounts/profile.html", context)


@private_page
@login_required
@require_safe
def export(request: HttpRequest) -> HttpResponse:
    """The learner's data as a JSON download."""
    link = ShareLink.objects.filter(user=request.user).first()
    share_url = link and request.build_absolute_uri(link.get_absolute_url())
    data = account_export(user=request.user, share_url=share_url)
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json"
    )
    response["Content-Disposition"] = 'attachment; filename="deep-learning-roadmap-data.json"'
    return response


@private_page
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def delete(request: HttpRequest) -> HttpResponse:
    """Delete the account, confirmed with the password. Every POST is a password guess:
    it spends the same allowance as allauth's password change (one budget per account
    for both), and past it the answer is 429 without checking the password."""
    if request.method == "POST" and (
        refused := ratelimit.consume_or_429(request, action="change_password", user=request.user)
    ):
        return refused
    data = request.POST if request.method == "POST" else None
    form = AccountDeleteForm(data, user=request.user)
    if request.method == "POST" and form.is_valid():
        account_delete(user=request.user)
        logout(request)
        messages.success(request, "Your account, all your progress and your notes were deleted.")
        return redirect(reverse("home"))
    return render(request, "accounts/delete.html", {"form": form})
