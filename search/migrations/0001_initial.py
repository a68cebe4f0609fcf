"""Search's entries, one per resource, kept by the database: a trigger on each table
whose words a resource's entry holds (its own title and description, its topic's and
part's titles) rewrites the entries those words are in. pg_trgm finds titles despite a
typo."""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
import django.db.models.deletion
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

KEEP = """
-- What of a description is searched and shown: its first 20,000 characters, without
-- angle brackets, on which PostgreSQL's text parser takes time quadratic in the length
-- ("<!--" repeated: 1 s for 32 KB, twenty minutes for a megabyte).
CREATE FUNCTION search_text(description text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT translate(left(description, 20000), '<>', '  ')
$$;

CREATE FUNCTION search_refresh(resources bigint[]) RETURNS void LANGUAGE sql AS $$
  INSERT INTO search_searchentry (resource_id, title, document)
  SELECT r.id, r.title,
         setweight(to_tsvector('english', r.title), 'A')
         || setweight(to_tsvector('english', search_text(r.description)), 'B')
         || setweight(to_tsvector('english', t.title || ' ' || p.title), 'C')
  FROM roadmap_resource r
  JOIN roadmap_topic t ON t.id = r.topic_id
  JOIN roadmap_part p ON p.id = t.part_id
  WHERE r.id = ANY(resources)
  ON CONFLICT (resource_id) DO UPDATE SET title = EXCLUDED.title, document = EXCLUDED.document
$$;

CREATE FUNCTION search_resource_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    DELETE FROM search_searchentry WHERE resource_id = OLD.id;
  ELSE
    PERFORM search_refresh(ARRAY[NEW.id]);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER search_resource AFTER INSERT OR DELETE OR UPDATE OF title, description, topic_id
ON roadmap_resource FOR EACH ROW EXECUTE FUNCTION search_resource_changed();

CREATE FUNCTION search_heading_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'roadmap_topic' THEN
    PERFORM search_refresh(ARRAY(SELECT id FROM roadmap_resource WHERE topic_id = NEW.id));
  ELSE
    PERFORM search_refresh(ARRAY(
      SELECT r.id FROM roadmap_resource r JOIN roadmap_topic t ON t.id = r.topic_id
      WHERE t.part_id = NEW.id));
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER search_topic AFTER UPDATE OF title ON roadmap_topic
FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title)
EXECUTE FUNCTION search_heading_changed();
CREATE TRIGGER search_part AFTER UPDATE OF title ON roadmap_part
FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title)
EXECUTE FUNCTION search_heading_changed();

SELECT search_refresh(ARRAY(SELECT id FROM roadmap_resource));
"""

FORGET = """
DROP TRIGGER search_part ON roadmap_part;
DROP TRIGGER search_topic ON roadmap_topic;
DROP TRIGGER search_resource ON roadmap_resource;
DROP FUNCTION search_heading_changed();
DROP FUNCTION search_resource_changed();
DROP FUNCTION search_refresh(bigint[]);
DROP FUNCTION search_text(text);
"""


class Migration(migrations.Migration):
    initial = True

    dependencies = [("roadmap", "0015_resource_hours")]

    operations = [
        TrigramExtension(),
        migrations.CreateModel(
            name="SearchEntry",
            fields=[
                (
                    "resource",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="roadmap.resource",
                    ),
                ),
                ("title", models.TextField()),
                ("document", django.contrib.postgres.search.SearchVectorField()),
            ],
            options={
                "verbose_name_plural": "search entries",
                "indexes": [
                    django.contrib.postgres.indexes.GinIndex(
                        fields=["document"], name="search_entry_document"
                    ),
                    django.contrib.postgres.indexes.GinIndex(
                        django.contrib.postgres.indexes.OpClass("title", name="gin_trgm_ops"),
                        name="search_entry_title_trgm",
                    ),
                ],
            },
        ),
        migrations.RunSQL(KEEP, FORGET),
    ]
