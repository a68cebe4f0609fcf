from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone

from api.models import Token


class TokenForm(forms.Form):
    name = forms.CharField(
        label="Name", max_length=100, help_text="What it is for, to tell your tokens apart."
    )
    scope = forms.ChoiceField(label="Scope", choices=Token.Scope.choices, initial=Token.Scope.READ)
    expires = forms.DateField(
        label="Expires",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Optional: the last day it works, in your time zone. Empty: until you revoke it.",
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_expires(self) -> datetime | None:
        """The end of the last day it works, in the learner's zone."""
        day = self.cleaned_data["expires"]
        if day is None:
            return None
        # (Python's zone rules, as the expiry below is reckoned: a token's day, not a
        # learner's history, activity/rhythm.py.)
        if day < timezone.localdate(None, self.user.zone):
            raise forms.ValidationError("That day has passed: pick today or a later day.")
        if day.year > 9998:
            raise forms.ValidationError("Pick an earlier day.")
        return datetime.combine(day + timedelta(days=1), time.min, tzinfo=self.user.zone)
