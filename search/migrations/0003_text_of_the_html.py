"""What of a description is searched and shown in a result's snippet: the text of its
HTML, as the one safe renderer made it when it was saved (roadmap's `description_html`),
not its Markdown source, whose `**` and `[text](url)` showed in snippets."""

from django.db import migrations

# The entries' refresh (migration 0001's) with what it reads of a description: `{text}`.
REFRESH = """
CREATE OR REPLACE FUNCTION search_refresh(resources bigint[]) RETURNS void LANGUAGE sql AS $$
  INSERT INTO search_searchentry (resource_id, title, document)
  SELECT r.id, r.title,
         setweight(to_tsvector('english', r.title), 'A')
         || setweight(to_tsvector('english', {text}), 'B')
         || setweight(to_tsvector('english', t.title || ' ' || p.title), 'C')
  FROM roadmap_resource r
  JOIN roadmap_topic t ON t.id = r.topic_id
  JOIN roadmap_part p ON p.id = t.part_id
  WHERE r.id = ANY(resources)
  ON CONFLICT (resource_id) DO UPDATE SET title = EXCLUDED.title, document = EXCLUDED.document
$$;
"""
# The trigger on resources, watching `{columns}`; then every entry made again.
WATCH = """
DROP TRIGGER search_resource ON roadmap_resource;
CREATE TRIGGER search_resource AFTER INSERT OR DELETE OR UPDATE OF {columns}
ON roadmap_resource FOR EACH ROW EXECUTE FUNCTION search_resource_changed();
SELECT search_refresh(ARRAY(SELECT id FROM roadmap_resource));
"""

FROM_THE_HTML = (
    """
CREATE FUNCTION search_html_text(description_html text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  -- The text between the tags (a block's a space apart from the next, an inline tag
  -- nothing), the renderer's four escapes undone; then, as before, its first 20,000
  -- characters without angle brackets, on which PostgreSQL's text parser takes time
  -- quadratic in the length.
  SELECT translate(left(regexp_replace(
    replace(replace(replace(replace(
      regexp_replace(regexp_replace(left(description_html, 100000),
        '</?(p|li|ul|ol|h[1-6]|blockquote|pre|br|hr|table|tr|td|th)\\M[^>]*>', ' ', 'gi'),
        '<[^>]*>', '', 'g'),
      '&lt;', '<'), '&gt;', '>'), '&quot;', '"'), '&amp;', '&'),
    '\\s+', ' ', 'g'), 20000), '<>', '  ')
$$;
DROP FUNCTION search_text(text);
"""
    + REFRESH.format(text="search_html_text(r.description_html)")
    + WATCH.format(columns="title, description, description_html, topic_id")
)

FROM_THE_SOURCE = (
    """
CREATE FUNCTION search_text(description text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT translate(left(description, 20000), '<>', '  ')
$$;
"""
    + REFRESH.format(text="search_text(r.description)")
    + "DROP FUNCTION search_html_text(text);"
    + WATCH.format(columns="title, description, topic_id")
)


class Migration(migrations.Migration):
    dependencies = [("search", "0002_topic_moved"), ("roadmap", "0016_workjoin_resource")]

    operations = [migrations.RunSQL(FROM_THE_HTML, FROM_THE_SOURCE)]
