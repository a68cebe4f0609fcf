"""Markdown tables render as tables (roadmap/templatetags/markdown.py enables them, as
the importer reads them): each text that may hold one (a `|` in it) rendered again,
curators' and learners' notes alike. Before, a table kept in a summary showed as lines
of pipes."""

from django.db import migrations, transaction

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
    """A thousand rows at a time, each thousand in its own transaction, read locked (so a
    note saved meanwhile is rendered from what it says now): one transaction for all held
    every note it had written until the end, and a learner saving one waited (26 s for
    100,000 notes). Rendering a row again renders it the same: a run stopped half-way is
    run again whole."""
    from django.db.models import Q

    for name, fields in RENDERED.items():
        model = apps.get_model("roadmap", name)
        piped = Q()
        for source in fields:
            piped |= Q(**{f"{source}__contains": "|"})
        ids = list(model.objects.filter(piped).order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(ids), BATCH):
            with transaction.atomic():
                rows = model.objects.select_for_update().filter(pk__in=ids[start : start + BATCH])
                batch = list(rows.only("pk", *fields))
                for row in batch:
                    for source, html in fields.items():
                        setattr(row, html, str(markdown(getattr(row, source))))
                model.objects.bulk_update(batch, list(fields.values()))


BATCH = 1000


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("roadmap", "0024_titles_and_urls_read_as_written")]

    operations = [migrations.RunPython(render_tables, migrations.RunPython.noop)]
