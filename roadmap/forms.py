from django import forms


class ProgressForm(forms.Form):
    """The desired state of one resource. The form sends a hidden "0" before the checkbox's
    "1", so the last value is the box's state, and a POST without `done` is refused."""

    done = forms.TypedChoiceField(
        choices=[("1", "done"), ("0", "not done")], coerce=lambda value: value == "1"
    )
