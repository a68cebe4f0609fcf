"""A suggestion's title reads as written (accounts.models.reads_as_written): shown to
everyone once accepted. Those sent before lose their control characters and direction
marks, as display names did (by accounts' 0008's rule)."""

import importlib

from django.db import migrations, models

import accounts.models

as_written = importlib.import_module(
    "accounts.migrations.0008_display_names_read_as_written"
).as_written


def tidy(apps, schema_editor):
    Suggestion = apps.get_model("curation", "Suggestion")
    for suggestion in Suggestion.objects.only("pk", "title").iterator():
        if (title := as_written(suggestion.title)) != suggestion.title:
            Suggestion.objects.filter(pk=suggestion.pk).update(title=title)


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
