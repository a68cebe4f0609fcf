"""Several roadmaps, and progress that follows the resource.

Roadmaps gain a slug (the first one's is `deep-learning`), a summary, an order, a status
(the roadmaps there are stay published) and prerequisites. Every resource now lists a
Work, one per URL as `url_key` compares them, and learners' states and notes move from
resources to works. Where a learner had two states of one work (two resources whose URLs
now compare equal), the one that counts is kept, done or skipped before in progress, and
of two the earlier; two notes on one work are joined, so nothing anybody wrote is lost.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.utils.text import slugify

from roadmap.models import url_key


def roadmap_slugs(apps, schema_editor) -> None:
    Roadmap = apps.get_model("roadmap", "Roadmap")
    taken = set()
    for index, roadmap in enumerate(Roadmap.objects.order_by("pk")):
        slug = "deep-learning" if index == 0 else slugify(roadmap.title)[:90] or "roadmap"
        while slug in taken:
            slug = f"{slug}-{roadmap.pk}"
        taken.add(slug)
        roadmap.slug, roadmap.order = slug, roadmap.pk
        roadmap.save(update_fields=["slug", "order"])


def resource_works(apps, schema_editor) -> None:
    Resource = apps.get_model("roadmap", "Resource")
    Work = apps.get_model("roadmap", "Work")
    works: dict[str, int] = {}
    for resource in Resource.objects.order_by("pk").only("pk", "url"):
        key = url_key(resource.url)
        if key not in works:
            works[key] = Work.objects.create(url_key=key).pk
        Resource.objects.filter(pk=resource.pk).update(work_id=works[key])


STATES_TO_WORKS = [
    "UPDATE roadmap_progress p SET work_id = r.work_id"
    " FROM roadmap_resource r WHERE r.id = p.resource_id",
    # One state per learner and work: what counts first, then the earlier (the rule of
    # Progress.stands_over).
    """
    DELETE FROM roadmap_progress WHERE id IN (
        SELECT id FROM (
            SELECT id, row_number() OVER (
                PARTITION BY user_id, work_id
                ORDER BY state = 'in_progress', completed_at NULLS LAST, id
            ) AS rank FROM roadmap_progress
        ) ranked WHERE rank > 1
    )
    """,
    "UPDATE roadmap_note n SET work_id = r.work_id"
    " FROM roadmap_resource r WHERE r.id = n.resource_id",
    # One note per learner and work: two are joined, the older first.
    """
    UPDATE roadmap_note n SET text = joined.text, html = joined.html
    FROM (
        SELECT min(id) AS kept,
               string_agg(text, E'\\n\\n' ORDER BY id) AS text,
               string_agg(html, E'\\n' ORDER BY id) AS html
        FROM roadmap_note GROUP BY user_id, work_id HAVING count(*) > 1
    ) joined
    WHERE n.id = joined.kept
    """,
    """
    DELETE FROM roadmap_note WHERE id NOT IN (
        SELECT min(id) FROM roadmap_note GROUP BY user_id, work_id
    )
    """,
]
# Back: each state and note on the first resource that lists its work (a work no
# resource lists any more loses them: there is nothing to put them on).
STATES_TO_RESOURCES = [
    "UPDATE roadmap_progress p SET resource_id ="
    " (SELECT min(id) FROM roadmap_resource r WHERE r.work_id = p.work_id)",
    "DELETE FROM roadmap_progress WHERE resource_id IS NULL",
    "UPDATE roadmap_note n SET resource_id ="
    " (SELECT min(id) FROM roadmap_resource r WHERE r.work_id = n.work_id)",
    "DELETE FROM roadmap_note WHERE resource_id IS NULL",
]

# Prerequisites are content: a change to them is a new content version (migration 0006).
PREREQUISITES_VERSIONED = (
    "CREATE TRIGGER roadmap_roadmap_prerequisites_content_changed"
    " AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON roadmap_roadmap_prerequisites"
    " FOR EACH STATEMENT EXECUTE FUNCTION roadmap_content_changed()",
    "DROP TRIGGER roadmap_roadmap_prerequisites_content_changed ON roadmap_roadmap_prerequisites",
)

# The rows just written are checked against their foreign keys now rather than at the
# commit: PostgreSQL alters no table with such checks still pending.
CHECKED_NOW = migrations.RunSQL("SET CONSTRAINTS ALL IMMEDIATE", "SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [
        ("roadmap", "0009_notes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # Roadmaps: slug, summary, order, status, prerequisites.
        migrations.AlterModelOptions(name="roadmap", options={"ordering": ["order", "pk"]}),
        migrations.AddField(
            model_name="roadmap",
            name="slug",
            field=models.CharField(max_length=100, default=""),  # indexed once filled in
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="roadmap",
            name="summary",
            field=models.TextField(blank=True, help_text="Markdown, for the list of roadmaps."),
        ),
        migrations.AddField(
            model_name="roadmap",
            name="order",
            field=models.PositiveIntegerField(
                default=0, help_text="Position on the home page; smaller comes first."
            ),
        ),
        migrations.AddField(
            model_name="roadmap",
            name="status",
            field=models.CharField(
                choices=[("draft", "Draft"), ("published", "Published")],
                default="published",  # the roadmaps there are: live already
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="roadmap",
            name="status",
            field=models.CharField(
                choices=[("draft", "Draft"), ("published", "Published")],
                default="draft",
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="roadmap",
            name="prerequisites",
            field=models.ManyToManyField(
                blank=True,
                help_text="Roadmaps to follow before this one. Shown at its top; nothing is locked.",
                related_name="leads_to",
                to="roadmap.roadmap",
            ),
        ),
        migrations.RunPython(roadmap_slugs, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="roadmap",
            name="slug",
            field=models.SlugField(max_length=100, unique=True),
        ),
        migrations.RunSQL(*PREREQUISITES_VERSIONED),
        # Works: one per URL.
        migrations.CreateModel(
            name="Work",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("url_key", models.CharField(editable=False, max_length=600, unique=True)),
            ],
        ),
        migrations.AddField(
            model_name="resource",
            name="work",
            field=models.ForeignKey(
                null=True,
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="resources",
                to="roadmap.work",
            ),
        ),
        migrations.RunPython(resource_works, migrations.RunPython.noop),
        CHECKED_NOW,
        migrations.AlterField(
            model_name="resource",
            name="work",
            field=models.ForeignKey(
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="resources",
                to="roadmap.work",
            ),
        ),
        # States and notes move to works.
        migrations.AddField(
            model_name="progress",
            name="work",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="progress",
                to="roadmap.work",
            ),
        ),
        migrations.AddField(
            model_name="note",
            name="work",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="notes",
                to="roadmap.work",
            ),
        ),
        migrations.RemoveConstraint(model_name="progress", name="progress_unique_per_learner"),
        migrations.RemoveConstraint(model_name="note", name="note_unique_per_learner"),
        migrations.AlterField(
            model_name="progress",
            name="resource",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="progress",
                to="roadmap.resource",
            ),
        ),
        migrations.AlterField(
            model_name="note",
            name="resource",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="notes",
                to="roadmap.resource",
            ),
        ),
        migrations.RunSQL(STATES_TO_WORKS, STATES_TO_RESOURCES),
        CHECKED_NOW,
        migrations.RemoveField(model_name="progress", name="resource"),
        migrations.RemoveField(model_name="note", name="resource"),
        migrations.AlterField(
            model_name="progress",
            name="work",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="progress",
                to="roadmap.work",
            ),
        ),
        migrations.AlterField(
            model_name="note",
            name="work",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="notes",
                to="roadmap.work",
            ),
        ),
        migrations.AddConstraint(
            model_name="progress",
            constraint=models.UniqueConstraint(
                fields=("user", "work"),
                include=("state", "completed_at"),
                name="progress_unique_per_learner",
            ),
        ),
        migrations.AddConstraint(
            model_name="note",
            constraint=models.UniqueConstraint(
                fields=("user", "work"), name="note_unique_per_learner"
            ),
        ),
    ]
