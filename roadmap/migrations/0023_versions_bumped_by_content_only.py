"""A statement that updates content's rows but changes nothing a page shows bumps no
version: the weekly link check (a resource's `link_*` columns, read by admin alone) and
a save that leaves every value as it was (its `updated_at` aside, as an import that
changes nothing writes). Before, both bumped the site's version and every roadmap's they
touched: every page of every roadmap, and every learner's kept pieces of the home page
and /me/, were made again for nothing.

An update's triggers (the site's version, migration 0006; each roadmap's, 0014) now
compare the rows the statement wrote with what they were, leaving out NOT_CONTENT; an
insert, a delete or a truncate bumps as before. A new column counts unless it is named
here (and in `Resource.NOT_CONTENT`, which kept rows leave out too: a migration keeps its
own copy). An update that changes nothing still locks the site's version row, as one
that bumps it does: every curator's write takes that lock at its first statement, which
keeps their writes in one order (never deadlocked)."""

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


# The site's version: bumped by an update that changed content; otherwise its row is
# locked all the same (as services' `content_writes_wait` does), so that every curator's
# write still takes that lock at its first statement.
SITE_UPDATED = """
    CREATE FUNCTION roadmap_content_updated() RETURNS trigger AS $$
    BEGIN
        IF EXISTS (SELECT FROM CHANGED_NEW changed) THEN
            UPDATE roadmap_content_version SET version = nextval('roadmap_content_version_seq')
            WHERE id = 1;
        ELSE
            PERFORM 1 FROM roadmap_content_version WHERE id = 1 FOR NO KEY UPDATE;
        END IF;
        RETURN NULL;
    END
    $$ LANGUAGE plpgsql
    """.replace("CHANGED_NEW", CHANGED_NEW)

FORWARD = [
    SITE_UPDATED,
    *(
        statement
        for table in TABLES
        for statement in (
            f"DROP TRIGGER {table}_content_changed ON {table}",
            f"CREATE TRIGGER {table}_content_changed AFTER INSERT OR DELETE OR TRUNCATE"
            f" ON {table} FOR EACH STATEMENT EXECUTE FUNCTION roadmap_content_changed()",
            # (Named to fire before each roadmap's own, as the site's always has: 0014.)
            f"CREATE TRIGGER {table}_content_updated AFTER UPDATE ON {table}"
            " REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"
            " FOR EACH STATEMENT EXECUTE FUNCTION roadmap_content_updated()",
        )
    ),
    *(touched_function(table) for table in TABLES),
]


def _backward() -> list[str]:
    before = importlib.import_module("roadmap.migrations.0014_roadmap_versions")
    return [
        *(
            statement
            for table in TABLES
            for statement in (
                f"DROP TRIGGER {table}_content_updated ON {table}",
                f"DROP TRIGGER {table}_content_changed ON {table}",
                f"CREATE TRIGGER {table}_content_changed AFTER INSERT OR UPDATE OR DELETE"
                f" OR TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION"
                " roadmap_content_changed()",
            )
        ),
        "DROP FUNCTION roadmap_content_updated()",
        *(
            before.touched_function(table).replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION")
            for table in TABLES
        ),
    ]


class Migration(migrations.Migration):
    dependencies = [("roadmap", "0022_work_moved_from")]

    operations = [migrations.RunSQL(FORWARD, _backward())]
