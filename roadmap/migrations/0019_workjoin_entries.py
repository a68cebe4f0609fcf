"""A join's record is its entries now (0017): the JSON document goes (its own migration,
so that PostgreSQL alters the table after the entries that refer to it are written)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("roadmap", "0018_markdown_line_ends")]

    operations = [migrations.RemoveField(model_name="workjoin", name="record")]
