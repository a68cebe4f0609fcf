from functools import cache
from zoneinfo import available_timezones

from allauth.account import forms as allauth_forms
from allauth.socialaccount import forms as social_forms
from allauth.socialaccount.adapter import get_adapter
from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from accounts.models import WEEKLY_GOAL, User

# The zone names the database knows and does not read as an abbreviation: it takes "CET",
# "EET", "MET" and "WET" as fixed offsets, with no summer time, where they name zones
# that have one (tzdata links them to Europe/Brussels, Athens and Lisbon). That leaves out
# "GMT", "EST", "MST" and "HST" too (fixed offsets either way; a learner in one keeps it),
# but UTC, the same either way and every learner's first zone.
KNOWN_ZONES = """
SELECT name FROM pg_timezone_names
WHERE name = 'UTC' OR name NOT IN (SELECT abbrev FROM pg_timezone_abbrevs)
"""


@cache
def time_zones() -> list[str]:
    """Every IANA zone name that both Python and the database know as a zone, sorted: the
    database reckons a learner's days (activity/), Python shows their dates."""
    with connection.cursor() as cursor:
        cursor.execute(KNOWN_ZONES)
        known = {name for (name,) in cursor.fetchall()}
    return sorted((available_timezones() & known) - {"localtime", "Factory"})


# Where a sign-up through GitHub or Google finds the browser's zone (static/js/site.js
# sets it on the account pages: the sign-up leaves for the provider and comes back).
ZONE_COOKIE = "time_zone"


def browser_zone(name: str | None) -> str:
    """The zone a browser named at sign-up, if it is one offered, else UTC."""
    return name if name and name in time_zones() else "UTC"


class ZoneSelect(forms.Select):
    """A select of some 600 zones, each option written by the select's own loop: Django's
    default includes a template per option, which took 18 ms a page here against 8."""

    template_name = "accounts/zone_select.html"


class ProfileForm(forms.ModelForm):
    time_zone = forms.ChoiceField(label="Time zone", required=False, widget=ZoneSelect)

    class Meta:
        model = User
        fields = ["display_name", "time_zone", "weekly_goal", "weekly_email", "activity_shared"]
        labels = {
            "display_name": "Display name",
            "weekly_goal": "Weekly goal",
            "weekly_email": "Email me a weekly summary",
            "activity_shared": "Show my activity on my share page",
        }
        help_texts = {
            "weekly_email": "On Mondays at 08:00 your time, to your verified email address.",
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        low, high = WEEKLY_GOAL  # the model's bounds, told to the browser too
        self.fields["weekly_goal"].widget.attrs.update(min=low, max=high)
        current = self.instance.time_zone
        # The current zone first, then every other.
        self.fields["time_zone"].choices = [(current, current)] + [
            (name, name) for name in time_zones() if name != current
        ]

    def clean_display_name(self) -> str:
        return " ".join(self.cleaned_data["display_name"].split())

    def clean_time_zone(self) -> str:
        return self.cleaned_data["time_zone"] or self.instance.time_zone  # not sent: as it was


class SignupForm(allauth_forms.SignupForm):
    """allauth's sign-up, with the browser's time zone (static/js/site.js fills it in;
    without JavaScript, or with a name that is no zone, UTC)."""

    time_zone = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_time_zone(self) -> str:
        return browser_zone(self.cleaned_data.get("time_zone"))

    def save(self, request):
        user = super().save(request)
        if user is not None and user.time_zone != self.cleaned_data["time_zone"]:
            user.time_zone = self.cleaned_data["time_zone"]
            user.save(update_fields=["time_zone"])
        return user


class LoginForm(allauth_forms.LoginForm):
    """allauth's login, labelled for what it accepts: a username or an email address."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["login"].label = "Username or email"
        self.fields["login"].widget.attrs["autocomplete"] = "username"


class AccountDeleteForm(forms.Form):
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password. Nothing was deleted.")
        return password


class DisconnectForm(social_forms.DisconnectForm):
    """allauth's (SOCIALACCOUNT_FORMS), with the providers offered here now only: one no
    longer offered is no way to log in, and allauth cannot show it. The check that
    another way to log in remains is made again with the learner's row locked, in the
    transaction that disconnects: two removals at once (two tabs) cannot both pass it."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.accounts = self.accounts.filter(provider__in=get_adapter(self.request).offered())
        self.fields["account"].queryset = self.accounts

    def save(self) -> None:
        account = self.cleaned_data["account"]
        with transaction.atomic():
            User.objects.select_for_update().filter(pk=account.user_id).first()
            try:
                self.clean()  # allauth's check again, now that no other removal can run
            except ValidationError as refused:
                messages.error(self.request, " ".join(refused.messages))
                return
            super().save()
