"""A topic moved to another part: its resources' entries hold the new part's title (the
trigger on topics watched their titles only), and entries already left behind by a move
are made again."""

from django.db import migrations

WATCH_THE_PART = """
DROP TRIGGER search_topic ON roadmap_topic;
CREATE TRIGGER search_topic AFTER UPDATE OF title, part_id ON roadmap_topic
FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.part_id IS DISTINCT FROM NEW.part_id)
EXECUTE FUNCTION search_heading_changed();
SELECT search_refresh(ARRAY(SELECT id FROM roadmap_resource));
"""

TITLE_ONLY = """
DROP TRIGGER search_topic ON roadmap_topic;
CREATE TRIGGER search_topic AFTER UPDATE OF title ON roadmap_topic
FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title)
EXECUTE FUNCTION search_heading_changed();
"""


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [migrations.RunSQL(WATCH_THE_PART, TITLE_ONLY)]
