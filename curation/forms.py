from django import forms

from curation.models import Report, Suggestion
from roadmap.forms import TypedTextField


class SuggestionForm(forms.ModelForm):
    # A URL typed without its scheme is read as https, as browsers do. (Only http and
    # https: the model's own rule, checked once the form's field has read an address.)
    url = forms.URLField(
        label="URL",
        max_length=500,
        assume_scheme="https",
        help_text="The address of the book, course, video or paper.",
    )

    class Meta:
        model = Suggestion
        fields = ["url", "title", "why", "credit"]
        widgets = {"why": forms.Textarea(attrs={"rows": 4})}
        field_classes = {"why": TypedTextField}
        help_texts = {
            "credit": "Your display name (set it on your profile) is shown with the "
            "resource if it is added; without one, nobody is credited.",
        }


class ReportForm(forms.ModelForm):
    class Meta:
        model = Report
        fields = ["problem", "comment"]
        widgets = {"comment": forms.Textarea(attrs={"rows": 3})}
        field_classes = {"comment": TypedTextField}
        labels = {"comment": "Comment"}
        help_texts = {"comment": "Optional, unless it is something else: say what."}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The four problems and nothing else to choose (no empty first choice).
        self.fields["problem"].choices = Report.Problem.choices

    def clean(self) -> dict:
        cleaned = super().clean()
        if (
            cleaned.get("problem") == Report.Problem.OTHER
            and "comment" not in self.errors  # (a comment too long did say what)
            and not cleaned.get("comment", "").strip()
        ):
            self.add_error("comment", "Say what is wrong.")
        return cleaned
