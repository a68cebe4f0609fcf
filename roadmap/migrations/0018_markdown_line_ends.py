"""Markdown saved before it was kept with "\n" line ends (models.line_ends) gets them: a
textarea's "\r\n" would otherwise come back from an export as a change."""

from django.db import migrations

FIELDS = [
    ("roadmap_roadmap", "introduction"),
    ("roadmap_roadmap", "summary"),
    ("roadmap_part", "summary"),
    ("roadmap_topic", "summary"),
    ("roadmap_resource", "description"),
]


def line_ends(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for table, column in FIELDS:
            cursor.execute(
                f"UPDATE {table} SET {column} = replace(replace({column}, E'\\r\\n', E'\\n'),"  # noqa: S608 - our own names
                f" E'\\r', E'\\n') WHERE {column} LIKE E'%\\r%'"
            )


class Migration(migrations.Migration):
    dependencies = [("roadmap", "0017_joins_keep_no_note_text")]

    operations = [migrations.RunPython(line_ends, migrations.RunPython.noop, elidable=True)]
