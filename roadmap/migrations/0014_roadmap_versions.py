"""A content version per roadmap, beside the site's (migration 0006): every statement that
writes a roadmap's content (its row, its parts, topics and resources, its prerequisites)
bumps that roadmap's version, by trigger, whatever made the write. What is kept of one
roadmap (its snapshot, its page) is kept under its own version, so an edit in one
roadmap leaves every other roadmap's as it was. The values come from the site's
sequence: a version never repeats, and rows change only when the write commits.

The triggers read the rows a statement wrote (transition tables): a row moved from one
roadmap to another bumps both."""

from django.db import migrations

# How a written row of each table names its roadmap; `rows` is the transition table.
ROADMAP_OF = {
    "roadmap_roadmap": "SELECT id FROM {rows}",
    "roadmap_part": "SELECT roadmap_id FROM {rows}",
    "roadmap_topic": ("SELECT p.roadmap_id FROM {rows} r JOIN roadmap_part p ON p.id = r.part_id"),
    "roadmap_resource": (
        "SELECT p.roadmap_id FROM {rows} r JOIN roadmap_topic t ON t.id = r.topic_id"
        " JOIN roadmap_part p ON p.id = t.part_id"
    ),
    "roadmap_roadmap_prerequisites": "SELECT from_roadmap_id FROM {rows}",
}


def touched_function(table: str) -> str:
    of = ROADMAP_OF[table]
    return f"""
    CREATE FUNCTION {table}_touched() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            PERFORM roadmap_versions_bump(ARRAY({of.format(rows="new_rows")}));
        ELSIF TG_OP = 'DELETE' THEN
            PERFORM roadmap_versions_bump(ARRAY({of.format(rows="old_rows")}));
        ELSE
            PERFORM roadmap_versions_bump(
                ARRAY({of.format(rows="new_rows")} UNION {of.format(rows="old_rows")})
            );
        END IF;
        RETURN NULL;
    END
    $$ LANGUAGE plpgsql
    """


def triggers(table: str) -> list[str]:
    run = f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_touched()"
    return [
        f"CREATE TRIGGER {table}_versions_insert AFTER INSERT ON {table}"
        f" REFERENCING NEW TABLE AS new_rows {run}",
        f"CREATE TRIGGER {table}_versions_update AFTER UPDATE ON {table}"
        f" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows {run}",
        f"CREATE TRIGGER {table}_versions_delete AFTER DELETE ON {table}"
        f" REFERENCING OLD TABLE AS old_rows {run}",
        f"CREATE TRIGGER {table}_versions_truncate AFTER TRUNCATE ON {table}"
        " FOR EACH STATEMENT EXECUTE FUNCTION roadmap_versions_bump_all()",
    ]


FORWARD = [
    "CREATE TABLE roadmap_version (roadmap_id bigint PRIMARY KEY, version bigint NOT NULL)",
    "INSERT INTO roadmap_version"
    " SELECT id, nextval('roadmap_content_version_seq') FROM roadmap_roadmap ORDER BY id",
    # In the roadmaps' order: two writers never wait on each other's rows crosswise (the
    # site's row, bumped first by its own triggers, already puts them one after another).
    """
    CREATE FUNCTION roadmap_versions_bump(ids bigint[]) RETURNS void AS $$
        INSERT INTO roadmap_version (roadmap_id, version)
        SELECT id, nextval('roadmap_content_version_seq')
        FROM (SELECT DISTINCT id FROM unnest(ids) AS id WHERE id IS NOT NULL ORDER BY id) t
        ON CONFLICT (roadmap_id) DO UPDATE SET version = EXCLUDED.version
    $$ LANGUAGE sql
    """,
    """
    CREATE FUNCTION roadmap_versions_bump_all() RETURNS trigger AS $$
    BEGIN
        PERFORM roadmap_versions_bump(ARRAY(SELECT roadmap_id FROM roadmap_version));
        RETURN NULL;
    END
    $$ LANGUAGE plpgsql
    """,
    *(touched_function(table) for table in ROADMAP_OF),
    *(trigger for table in ROADMAP_OF for trigger in triggers(table)),
]
BACKWARD = [
    *(
        f"DROP TRIGGER {table}_versions_{event} ON {table}"
        for table in ROADMAP_OF
        for event in ("insert", "update", "delete", "truncate")
    ),
    *(f"DROP FUNCTION {table}_touched()" for table in ROADMAP_OF),
    "DROP FUNCTION roadmap_versions_bump_all()",
    "DROP FUNCTION roadmap_versions_bump(bigint[])",
    "DROP TABLE roadmap_version",
]


class Migration(migrations.Migration):
    dependencies = [("roadmap", "0013_markdown_html")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
