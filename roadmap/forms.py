from django import forms
from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.utils.text import normalize_newlines

from roadmap.models import NOTE_MAX_LENGTH, Roadmap
from roadmap.roadmap_markdown import RoadmapParseError, parse_roadmap

MAX_IMPORT_BYTES = 1_000_000


NEW_ROADMAP = "new"


class RoadmapImportForm(forms.Form):
    """Upload a roadmap in Markdown, for an existing roadmap or a new one; the preview
    step carries the text on in `content`."""

    roadmap = forms.ChoiceField(
        label="Into the roadmap",
        required=False,
        help_text="The first one takes only a file with its title, or none.",
    )
    new_slug = forms.SlugField(
        required=False,
        max_length=100,
        label="Slug of the new roadmap",
        help_text="Its address: /roadmaps/<slug>/. Only for a new roadmap.",
    )
    publish = forms.BooleanField(
        required=False, label="Publish it (a new roadmap is a draft otherwise)"
    )
    file = forms.FileField(required=False, label="Markdown file")
    content = forms.CharField(required=False, widget=forms.HiddenInput, strip=False)
    archive_missing = forms.BooleanField(
        required=False, label="Archive resources the file no longer lists"
    )
    strict = forms.BooleanField(
        required=False,
        label="Refuse the file when a line that looks meant as a resource is left out",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["roadmap"].choices = [
            ("", "The first roadmap"),
            *Roadmap.objects.order_by("order", "pk").values_list("slug", "title"),
            (NEW_ROADMAP, "A new roadmap"),
        ]

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("roadmap") == NEW_ROADMAP:
            slug = cleaned.get("new_slug")
            if not slug:
                self.add_error("new_slug", "Give the new roadmap a slug.")
            elif Roadmap.objects.filter(slug=slug).exists():
                self.add_error("new_slug", "A roadmap has this slug already: choose it above.")
            cleaned["slug"] = slug
        else:
            cleaned["slug"] = cleaned.get("roadmap") or None
        upload = cleaned.get("file")
        if upload is not None:
            if upload.size > MAX_IMPORT_BYTES:
                raise forms.ValidationError("The file is larger than 1 MB.")
            try:
                cleaned["content"] = upload.read().decode("utf-8")
            except UnicodeDecodeError as error:
                raise forms.ValidationError("The file is not UTF-8 text.") from error
            source = upload.name
        else:
            source = "the uploaded file"
            if len(cleaned.get("content", "").encode()) > MAX_IMPORT_BYTES:
                raise forms.ValidationError("The text is larger than 1 MB.")
        if not cleaned.get("content", "").strip():
            raise forms.ValidationError("Choose a Markdown file to import.")
        try:
            cleaned["document"] = parse_roadmap(
                cleaned["content"],
                source=source,
                strict=cleaned.get("strict", False),
                seconds=settings.ADMIN_IMPORT_READ_SECONDS,
            )
        except RoadmapParseError as error:
            raise forms.ValidationError(error.problems) from error
        return cleaned


EVERYTHING = "everything"


class ProgressResetForm(forms.Form):
    """Clear the states of one part, of one roadmap or of everything: typed confirmation.
    The choices are grouped by roadmap; a part's value is its id, a whole roadmap's
    "roadmap-<id>"."""

    scope = forms.ChoiceField(
        label="What to reset",
        help_text="A resource listed in several roadmaps is one thing: cleared here, it is "
        "cleared wherever it is listed.",
    )
    confirm = forms.CharField(label="Type RESET to confirm", max_length=20, strip=True)
    notes = forms.BooleanField(required=False, label="Also delete my notes")

    def __init__(self, *args, roadmaps, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.parts, self.roadmaps, groups = {}, {}, []
        for listed in roadmaps:
            roadmap = listed.roadmap
            parts = [p for p in listed.public_parts if p.status == p.Status.PUBLISHED]
            self.roadmaps[f"roadmap-{roadmap.pk}"] = roadmap
            self.parts |= {str(part.pk): part for part in parts}
            choices = [(str(part.pk), part.title) for part in parts]
            groups.append(
                (roadmap.title, [(f"roadmap-{roadmap.pk}", f"All of {roadmap.title}"), *choices])
            )
        self.fields["scope"].choices = [*groups, (EVERYTHING, "Everything, in every roadmap")]

    def clean_confirm(self) -> str:
        if self.cleaned_data["confirm"] != "RESET":
            raise forms.ValidationError("Type RESET, in capitals, to confirm. Nothing was reset.")
        return "RESET"

    @property
    def part(self):
        """The part chosen, or None."""
        return self.parts.get(self.cleaned_data["scope"])

    @property
    def roadmap(self):
        """The whole roadmap chosen, or None."""
        return self.roadmaps.get(self.cleaned_data["scope"])


def typed_length(text: str) -> int:
    """A text's length as a textarea's `maxlength` counts it: in UTF-16 code units (an
    emoji is two), a line break one."""
    return len(text.encode("utf-16-le")) // 2


class TypedLengthValidator(MaxLengthValidator):
    def clean(self, x: str) -> int:
        return typed_length(x)


class TypedTextField(forms.CharField):
    """Text as typed in a textarea: browsers send its line breaks as CRLF, and a line
    break is one character to the learner (and to the textarea's maxlength) and to the
    limit. (A note, a suggestion's reasons, a report's comment.)"""

    def to_python(self, value) -> str:
        return normalize_newlines(super().to_python(value))


class NoteForm(forms.Form):
    """A learner's note on a resource: Markdown, at most NOTE_MAX_LENGTH characters as the
    editor counts them (`typed_length`); an empty note is deleted.

    A note that two joined notes made longer than that (services.work_join) may be kept at
    the length it has: the limit is the longer of the two, so its learner can always edit
    it, and shorten it, and is never locked out of their own note."""

    text = TypedTextField(required=False, strip=False, widget=forms.Textarea(attrs={"rows": 6}))
    # The note the editor showed: its work and its text's digest (services.NoteSeen).
    work = forms.IntegerField(required=False, widget=forms.HiddenInput)
    seen = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, resource, note=None, **kwargs) -> None:
        from roadmap.services import note_digest

        super().__init__(*args, **kwargs)
        self.auto_id = f"note-{resource.public_id}-%s"  # (several editors open on a page)
        self.fields["work"].initial = resource.work_id
        self.fields["seen"].initial = note_digest(note.text if note is not None else None)
        limit = max(NOTE_MAX_LENGTH, typed_length(note.text) if note is not None else 0)
        field = self.fields["text"]
        field.label = f"Your note on {resource.title}"
        field.validators.append(
            TypedLengthValidator(
                limit,
                message="A note can be at most %(limit_value)s characters long (this one "
                "has %(show_value)s). Nothing was saved: shorten it and save again.",
            )
        )
        field.widget.attrs |= {
            "id": f"note-text-{resource.public_id}",
            "maxlength": str(limit),
            "autofocus": True,  # also where htmx puts the editor in place
        }
