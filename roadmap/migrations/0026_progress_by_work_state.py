"""A work's progress rows by their state too (admin's counts of each resource's learners
in each state, from the index alone), in place of by work alone. Built without locking
the table against the ticks written meanwhile; the old index's drop waits for the
transactions in flight, and takes a moment."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models

# The name Django gave the index of the field (0001's; the same in every database).
WORK_INDEX = "roadmap_progress_work_id_839db52b"


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("roadmap", "0025_tables_rendered")]

    operations = [
        AddIndexConcurrently(
            model_name="progress",
            index=models.Index(fields=["work", "state"], name="progress_by_work_state"),
        ),
        # The work's own index goes, concurrently too: the model's field no longer asks
        # for it (AlterField would also drop and check again the foreign key, every row
        # of the table, writes locked out meanwhile).
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="progress",
                    name="work",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=models.deletion.PROTECT,
                        related_name="progress",
                        to="roadmap.work",
                    ),
                )
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX CONCURRENTLY IF EXISTS {WORK_INDEX}",
                    f"CREATE INDEX CONCURRENTLY {WORK_INDEX} ON roadmap_progress (work_id)",
                )
            ],
        ),
    ]
