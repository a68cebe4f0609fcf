"""A join's record is its entries now (0019): the JSON document goes, in a migration of
its own, so that PostgreSQL alters the table after the entries that refer to it are
written."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("roadmap", "0019_workjoin_entries")]

    operations = [migrations.RemoveField(model_name="workjoin", name="record")]
