"""How the site's forms draw their fields (FORM_RENDERER), allauth's and admin's too."""

from django.forms import BoundField
from django.forms.renderers import DjangoTemplates


class LabelAsWritten(BoundField):
    """A field's label as it is written, without the colon Django adds by default: a
    control is named by its label ("Username", "Time zone", "Your note on …"), and with
    the colon its accessible name is another. A field that asks for a suffix
    still gets it."""

    def label_tag(self, contents=None, attrs=None, label_suffix=None, tag=None):
        if label_suffix is None and self.field.label_suffix is None:
            label_suffix = ""
        return super().label_tag(contents, attrs, label_suffix, tag)


class Renderer(DjangoTemplates):
    bound_field_class = LabelAsWritten
