"""A statement that updates a roadmap's rows but changes nothing its pages show bumps
no roadmap's version: the weekly link check (a resource's `link_*` columns, read by admin
alone) and a save that leaves every value as it was (its `updated_at` aside, as an import
that changes nothing writes). Before, both bumped the version of every roadmap they
touched, and every page of every roadmap was made again for nothing.

An update's triggers for each roadmap (migration 0014) now compare the rows the statement
wrote with what they were, leaving out NOT_CONTENT; an insert, a delete or a truncate
bumps as before. A new column counts unless it is named here (and in
`Resource.NOT_CONTENT`, which kept rows leave out too: a migration keeps its own copy).
The site's version (0006) is bumped by every statement still: its row is the lock every
curator's write takes first, which keeps their writes in one order (never deadlocked)."""

import importlib

from django.db import migrations

NOT_CONTENT = ["updated_at", "link_status", "link_error", "link_checked_at"]
_LEFT_OUT = "'{" + ",".join(NOT_CONTENT) + "}'::text[]"


def _changed(new: str, old: str) -> str:
    return f"(to_jsonb({new}) - {_LEFT_OUT}) IS DISTINCT FROM (to_jsonb({old}) - {_LEFT_OUT})"


# The rows an update changed, as they are now and as they were (this module's constants).
CHANGED_NEW = (
    f"(SELECT n.* FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE {_changed('n', 'o')})"  # noqa: S608
)
CHANGED_OLD = (
    f"(SELECT o.* FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE {_changed('n', 'o')})"  # noqa: S608
)

TABLES = ["roadmap_roadmap", "roadmap_part", "roadmap_topic", "roadmap_resource"]
# How a row of each table names its roadmap (as in 0014, each row aliased `r`).
ROADMAP_OF = {
    "roadmap_roadmap": "SELECT r.id FROM {rows} r",
    "roadmap_part": "SELECT r.roadmap_id FROM {rows} r",
    "roadmap_topic": "SELECT p.roadmap_id FROM {rows} r JOIN roadmap_part p ON p.id = r.part_id",
    "roadmap_resource": (
        "SELECT p.roadmap_id FROM {rows} r JOIN roadmap_topic t ON t.id = r.topic_id"
        " JOIN roadmap_part p ON p.id = t.part_id"
    ),
}


def touched_function(table: str) -> str:
    of = ROADMAP_OF[table]
    return f"""
    CREATE OR REPLACE FUNCTION {table}_touched() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            PERFORM roadmap_versions_bump(ARRAY({of.format(rows="new_rows")}));
        ELSIF TG_OP = 'DELETE' THEN
            PERFORM roadmap_versions_bump(ARRAY({of.format(rows="old_rows")}));
        ELSE
            PERFORM roadmap_versions_bump(
                ARRAY({of.format(rows=CHANGED_NEW)} UNION {of.format(rows=CHANGED_OLD)})
            );
        END IF;
        RETURN NULL;
    END
    $$ LANGUAGE plpgsql
    """


FORWARD = [touched_function(table) for table in TABLES]


def _backward() -> list[str]:
    before = importlib.import_module("roadmap.migrations.0014_roadmap_versions")
    return [
        before.touched_function(table).replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION")
        for table in TABLES
    ]


class Migration(migrations.Migration):
    dependencies = [("roadmap", "0022_work_moved_from")]

    operations = [migrations.RunSQL(FORWARD, _backward())]
