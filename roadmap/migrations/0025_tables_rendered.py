"""Markdown tables render as tables (roadmap/templatetags/markdown.py enables them, as
the importer reads them): each text that may hold one (a `|` in it) rendered again,
curators' and learners' notes alike. Before, a table kept in a summary showed as lines
of pipes."""

from django.db import migrations

from roadmap.templatetags.markdown import markdown

# Each model's Markdown fields and their HTML's (MarkdownModel.MARKDOWN; Note's own).
RENDERED = {
    "roadmap": {"summary": "summary_html", "introduction": "introduction_html"},
    "part": {"summary": "summary_html"},
    "topic": {"summary": "summary_html"},
    "resource": {"description": "description_html"},
    "note": {"text": "html"},
}


def render_tables(apps, schema_editor):
    from django.db.models import Q

    for name, fields in RENDERED.items():
        model = apps.get_model("roadmap", name)
        piped = Q()
        for source in fields:
            piped |= Q(**{f"{source}__contains": "|"})
        batch = []
        for row in model.objects.filter(piped).only("pk", *fields).iterator(chunk_size=1000):
            for source, html in fields.items():
                setattr(row, html, str(markdown(getattr(row, source))))
            batch.append(row)
            if len(batch) == 1000:
                model.objects.bulk_update(batch, list(fields.values()))
                batch = []
        model.objects.bulk_update(batch, list(fields.values()))


class Migration(migrations.Migration):
    dependencies = [("roadmap", "0024_titles_and_urls_read_as_written")]

    operations = [migrations.RunPython(render_tables, migrations.RunPython.noop)]
