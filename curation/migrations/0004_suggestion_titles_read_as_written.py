"""A suggestion's title reads as written (accounts.models.reads_as_written): shown to
everyone once accepted. Those sent before lose their control characters and direction
marks, as display names did (by accounts' 0008's rule: runs of spaces become one), and so
do the titles of the resources accepted ones became."""

import importlib

from django.db import migrations, models

import accounts.models

as_written = importlib.import_module(
    "accounts.migrations.0008_display_names_read_as_written"
).as_written


def tidy(apps, schema_editor):
    """Each suggestion's title, and the title of the resource one accepted made of it
    while it still reads as the suggestion's (a curator's own title is theirs)."""
    Suggestion = apps.get_model("curation", "Suggestion")
    Resource = apps.get_model("roadmap", "Resource")
    for suggestion in Suggestion.objects.only("pk", "title", "resource_id").iterator():
        if (title := as_written(suggestion.title)) != suggestion.title:
            Suggestion.objects.filter(pk=suggestion.pk).update(title=title)
            made = Resource.objects.filter(pk=suggestion.resource_id, title=suggestion.title)
            made.update(title=title)


class Migration(migrations.Migration):
    dependencies = [
        ("curation", "0003_roadmap_figures_name"),
        ("accounts", "0008_display_names_read_as_written"),
    ]

    operations = [
        migrations.AlterField(
            model_name="suggestion",
            name="title",
            field=models.CharField(max_length=300, validators=[accounts.models.reads_as_written]),
        ),
        migrations.RunPython(tidy, migrations.RunPython.noop, elidable=True),
    ]
