"""The page where a learner makes and revokes their personal access tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.decorators import private_page
from api.forms import TokenForm
from api.models import Token
from api.services import (
    TOKENS_PER_LEARNER,
    TokenNameTaken,
    TooManyTokens,
    token_create,
    token_revoke,
)


@private_page
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    """The learner's tokens, and a form to make one. A new token's secret is in the
    answer to the POST that made it, and nowhere else, ever (so that answer is not a
    redirect: the browser asks before sending the form again on a reload)."""
    form = TokenForm(request.POST if request.method == "POST" else None, user=request.user)
    made = secret = None
    if request.method == "POST" and form.is_valid():
        try:
            made, secret = token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                expires_at=form.cleaned_data["expires"],
            )
        except TooManyTokens:
            form.add_error(
                None, f"You have {TOKENS_PER_LEARNER} tokens, the most one may hold: revoke one."
            )
        except TokenNameTaken:
            form.add_error(
                "name",
                f"You have a token named “{form.cleaned_data['name']}” already (was the form"
                " sent twice?). If you never copied it, revoke it below and make another;"
                " or choose another name.",
            )
        else:
            form = TokenForm(user=request.user)
    context = {
        "form": form,
        "made": made,
        "secret": secret,
        "tokens": Token.objects.of(request.user),
    }
    return render(request, "api/tokens.html", context)


@private_page
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke a token (a POST). A GET is a learner sent back here by the log-in page
    after their session ended as they pressed Revoke: to the tokens, to press it again."""
    if request.method != "POST":
        return redirect("api-tokens")
    token = token_revoke(user=request.user, pk=pk)
    if token is None:
        raise Http404
    messages.success(request, f"Token “{token.name}” revoked: it opens nothing any more.")
    return redirect("api-tokens")
