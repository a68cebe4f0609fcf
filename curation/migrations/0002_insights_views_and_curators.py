from django.db import migrations

from roadmap.curators import curators_group_sync, permissions_create

WORK_FIGURES = """
SELECT p.work_id, p.state, (p.completed_at AT TIME ZONE 'UTC')::date AS day,
       coalesce(CASE WHEN p.state = 'done' AND s.started <= p.completed_at
                THEN floor(extract(epoch FROM p.completed_at - s.started) / 86400)::int END,
                -1) AS days,
       count(*) AS learners
FROM roadmap_progress p
LEFT JOIN (
    SELECT user_id, work_id, min(at) AS started FROM activity_event
    WHERE after = 'in_progress' GROUP BY user_id, work_id
) s ON p.state = 'done' AND s.user_id = p.user_id AND s.work_id = p.work_id
WHERE p.completed_at IS NOT NULL
GROUP BY 1, 2, 3, 4
"""

REACH = """
WITH listed AS (
    -- What counts (Resource.objects.counted(): the one rule, restated here in SQL).
    SELECT DISTINCT r.work_id, pa.roadmap_id, pa."order" AS part_order
    FROM roadmap_resource r
    JOIN roadmap_topic t ON t.id = r.topic_id
    JOIN roadmap_part pa ON pa.id = t.part_id
    JOIN roadmap_roadmap m ON m.id = pa.roadmap_id
    WHERE r.status = 'published' AND pa.status = 'published' AND m.status = 'published'
), reached AS (
    SELECT l.roadmap_id, p.user_id, max(l.part_order) AS furthest, min(p.completed_at) AS started
    FROM roadmap_progress p JOIN listed l ON l.work_id = p.work_id
    WHERE p.completed_at IS NOT NULL
    GROUP BY 1, 2
)
SELECT roadmap_id, furthest, (started AT TIME ZONE 'UTC')::date AS day, count(*) AS learners
FROM reached GROUP BY 1, 2, 3
"""


def grant_curators(apps, schema_editor):
    permissions_create(apps)
    curators_group_sync(
        group_model=apps.get_model("auth", "Group"),
        permission_model=apps.get_model("auth", "Permission"),
        app_label="curation",
        models=["suggestion", "report", "insights"],
    )


class Migration(migrations.Migration):
    """The insights' figures (curation/insights.py), kept as materialized views: made
    empty here (a large site's first computation is the job's, not the deploy's), each
    with the unique index a concurrent refresh needs; and the Curators' permissions."""

    dependencies = [
        ("curation", "0001_initial"),
        ("roadmap", "0015_resource_hours"),
        ("activity", "0004_event_user_latest"),
        ("roadmap", "0005_curators_group"),
    ]

    operations = [
        migrations.RunSQL(
            [
                f"CREATE MATERIALIZED VIEW curation_work_figures AS {WORK_FIGURES} WITH NO DATA",
                "CREATE UNIQUE INDEX curation_work_figures_key"
                " ON curation_work_figures (work_id, state, day, days)",
                f"CREATE MATERIALIZED VIEW curation_reach AS {REACH} WITH NO DATA",
                "CREATE UNIQUE INDEX curation_reach_key ON curation_reach (roadmap_id, furthest, day)",
            ],
            [
                "DROP MATERIALIZED VIEW curation_reach",
                "DROP MATERIALIZED VIEW curation_work_figures",
            ],
        ),
        migrations.RunPython(grant_curators, migrations.RunPython.noop),
    ]
