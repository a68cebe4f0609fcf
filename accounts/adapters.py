"""allauth's accounts and social sign-in, as this site wants them, through its adapters'
public hooks."""

import logging
import smtplib
from types import SimpleNamespace
from urllib.parse import urlsplit, urlunsplit

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialAccount, SocialApp
from allauth.socialaccount.providers import registry
from django.conf import settings
from django.contrib import messages
from django.http import Http404

from accounts.forms import ZONE_COOKIE, browser_zone

logger = logging.getLogger(__name__)


def without_nul(value):
    """JSON-like data with no NUL character in any string of it."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [without_nul(item) for item in value]
    if isinstance(value, dict):
        return {without_nul(key): without_nul(item) for key, item in value.items()}
    return value


def at_site(url: str) -> str:
    """`url` (a path, or a URL made from a request) at the site's own address (SITE_URL),
    for a mail's links: a client writes the port in its Host (Django checks the host
    alone), and a reset link sent to a learner must not lead to a port someone else
    chose; a weekly summary is made with no request at all."""
    _scheme, _address, path, query, fragment = urlsplit(url)
    return settings.SITE_URL + urlunsplit(("", "", path, query, fragment))


def site() -> SimpleNamespace:
    """The site as account mail names it ("Hello from …", a subject's "[…]"): SITE_URL's
    address, as its links are (`at_site`)."""
    address = urlsplit(settings.SITE_URL).netloc
    return SimpleNamespace(domain=address, name=address)


class AccountAdapter(DefaultAccountAdapter):
    def format_email_subject(self, subject: str) -> str:
        if account_settings.EMAIL_SUBJECT_PREFIX is not None:
            return super().format_email_subject(subject)
        return f"[{site().name}] {subject}"

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """An address the mail server refuses (a mailbox that is no more) fails that
        mail alone: the page goes on as for an address with no account, where a reset
        says nothing either. Logged by the mail's kind and the server's codes, never the
        address, which the server's words and smtplib's both name (as the weekly
        summaries are, activity/digests.py)."""
        kind = template_prefix.rsplit("/", 1)[-1]
        # Every link of it (a reset's, a verification's, a sign-up's) and the site's name
        # at SITE_URL, never at the address the request named (`at_site`).
        links = {k: at_site(v) for k, v in context.items() if k.endswith("_url") and v}
        context = {**context, **links, "current_site": site()}
        try:
            super().send_mail(template_prefix, email, context)
        except smtplib.SMTPRecipientsRefused as error:
            codes = sorted({code for code, _reply in error.recipients.values()})
            logger.warning("A %s mail was refused by the mail server: %s.", kind, codes)
        except (smtplib.SMTPException, OSError) as error:
            # The mail server down, busy or refusing every mail: a sign-up or a reset goes
            # on (an account made is signed in; before, a 500 left it made and signed
            # out), and says the mail did not go. As the same for any address, it says
            # nothing of whether one has an account.
            code = getattr(error, "smtp_code", None) or type(error).__name__
            logger.error("A %s mail could not be sent: %s.", kind, code)
            if self.request is not None:
                messages.warning(
                    self.request,
                    "We could not send the email just now: our mail server did not take it."
                    " Please ask for it again in a few minutes.",
                )


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def populate_user(self, request, sociallogin, data):
        """A new account, as allauth fills it in, in the browser's time zone, as at a
        password sign-up (UTC without JavaScript). (Made for every provider login; kept
        only when it becomes a new account.)"""
        # PostgreSQL keeps no NUL in text, nor in JSON: a provider's profile with one (a
        # name, an address, any field of what allauth keeps) made a sign-in a 500, and
        # every sign-in after it. Left out; an address with one is no address (never
        # read as another without it).
        sociallogin.account.extra_data = without_nul(sociallogin.account.extra_data)
        sociallogin.email_addresses = [
            address for address in sociallogin.email_addresses if "\x00" not in address.email
        ]
        if "\x00" in (data.get("email") or ""):
            data = {**data, "email": None}
        user = super().populate_user(request, sociallogin, without_nul(data))
        user.time_zone = browser_zone(request.COOKIES.get(ZONE_COOKIE))
        return user

    def on_authentication_error(
        self, request, provider, error=None, exception=None, extra_context=None
    ) -> None:
        """The learner is told sign-in failed; the operator is told why (the provider
        timing out, answering 500, a wrong client secret), which allauth's 401 alone
        did not say: the provider, allauth's reason and the exception's kind."""
        kind = type(exception).__name__ if exception is not None else "no exception"
        logger.warning("Sign-in with %s failed: %s (%s).", provider.id, error, kind)
        super().on_authentication_error(request, provider, error, exception, extra_context)

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

    def offered(self) -> set[str]:
        """The providers one can log in with here now (those configured)."""
        return {provider.id for provider in self.list_providers(self.request)}

    def validate_disconnect(self, account, accounts) -> None:
        """allauth counts every provider connected as a way to log in; one no longer
        offered here is none. Disconnecting the last one offered asks what allauth asks
        of the last one: a password, and with mandatory verification a verified address
        to reset it with."""
        if accounts.exclude(pk=account.pk).filter(provider__in=self.offered()).exists():
            return
        if not account.user.has_usable_password():
            raise self.validation_error("no_password")
        mandatory = account_settings.EMAIL_VERIFICATION == "mandatory"
        if mandatory and not EmailAddress.objects.filter(user=account.user, verified=True).exists():
            raise self.validation_error("no_verified_email")

    def connected(self, user) -> list[tuple[str, str]]:
        """Each provider `user` has connected: its name, and their account there; one no
        longer offered, by its name only, said so (allauth can show no more of it)."""
        offered = self.offered()
        shown = []
        for account in SocialAccount.objects.filter(user=user).order_by("provider"):
            if account.provider in offered:
                shown.append((account.get_provider().name, str(account.get_provider_account())))
            else:
                name = registry.get_class(account.provider).name
                shown.append((f"{name} (no longer offered here)", ""))
        return shown
