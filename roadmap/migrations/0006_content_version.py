"""A content version that every write to the roadmap's content bumps, by trigger, so that
rendered pages can be cached per version whatever wrote the change (admin, import,
bulk updates, raw SQL). Values come from a sequence, so a version never repeats even
when a transaction rolls back; the row itself changes only when the write commits."""

from django.db import migrations

TABLES = ["roadmap_roadmap", "roadmap_part", "roadmap_topic", "roadmap_resource"]

FORWARD = [
    "CREATE SEQUENCE roadmap_content_version_seq",
    "CREATE TABLE roadmap_content_version (id integer PRIMARY KEY, version bigint NOT NULL)",
    "INSERT INTO roadmap_content_version VALUES (1, nextval('roadmap_content_version_seq'))",
    """
    CREATE FUNCTION roadmap_content_changed() RETURNS trigger AS $$
    BEGIN
        UPDATE roadmap_content_version SET version = nextval('roadmap_content_version_seq')
        WHERE id = 1;
        RETURN NULL;
    END
    $$ LANGUAGE plpgsql
    """,
    *(
        f"CREATE TRIGGER {table}_content_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE"
        f" ON {table} FOR EACH STATEMENT EXECUTE FUNCTION roadmap_content_changed()"
        for table in TABLES
    ),
]
BACKWARD = [
    *(f"DROP TRIGGER {table}_content_changed ON {table}" for table in TABLES),
    "DROP FUNCTION roadmap_content_changed()",
    "DROP TABLE roadmap_content_version",
    "DROP SEQUENCE roadmap_content_version_seq",
]


class Migration(migrations.Migration):
    dependencies = [("roadmap", "0005_curators_group")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
