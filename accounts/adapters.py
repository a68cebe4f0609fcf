"""allauth's social sign-in, as this site wants it, through its adapter's public hooks."""

from allauth.account.models import EmailAddress
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp
from django.http import Http404

from accounts.forms import ZONE_COOKIE, browser_zone


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def populate_user(self, request, sociallogin, data):
        """A new account, as allauth fills it in, in the browser's time zone, as at a
        password sign-up (UTC without JavaScript). (Made for every provider login; kept
        only when it becomes a new account.)"""
        user = super().populate_user(request, sociallogin, data)
        user.time_zone = browser_zone(request.COOKIES.get(ZONE_COOKIE))
        return user

    def can_authenticate_by_email(self, login, email: str) -> bool:
        """A provider's verified email signs into an account only when the account has
        verified that email too. (allauth would also sign into an account whose address
        is unverified, wiping its password; here such an address proves nothing, and
        the learner signs up or logs in and connects the provider themselves.)"""
        if not EmailAddress.objects.filter(email__iexact=email, verified=True).exists():
            return False
        return super().can_authenticate_by_email(login, email)

    def get_app(self, request, provider, client_id=None):
        """The provider's client, configured from the environment; a provider that is
        not configured has no pages here (404), rather than an error."""
        try:
            return super().get_app(request, provider, client_id=client_id)
        except SocialApp.DoesNotExist:
            raise Http404(f"Sign-in with {provider} is not configured.") from None
