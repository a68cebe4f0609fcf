from django import forms

from roadmap.roadmap_markdown import RoadmapParseError, parse_roadmap

MAX_IMPORT_BYTES = 1_000_000


class RoadmapImportForm(forms.Form):
    """Upload a roadmap in Markdown; the preview step carries the text on in `content`."""

    file = forms.FileField(required=False, label="Markdown file")
    content = forms.CharField(required=False, widget=forms.HiddenInput, strip=False)
    archive_missing = forms.BooleanField(
        required=False, label="Archive resources the file no longer lists"
    )

    def clean(self) -> dict:
        cleaned = super().clean()
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
        if not cleaned.get("content", "").strip():
            raise forms.ValidationError("Choose a Markdown file to import.")
        try:
            cleaned["document"] = parse_roadmap(cleaned["content"], source=source)
        except RoadmapParseError as error:
            raise forms.ValidationError(error.problems) from error
        return cleaned
