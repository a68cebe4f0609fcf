"""A work's progress rows by their state too (admin's counts of each resource's learners
in each state, from the index alone), in place of by work alone. Built and dropped
concurrently, without locking the table against the ticks written meanwhile (the drop
waits for the transactions in flight). Each step first drops what a run stopped half-way
may have left (an index built, or one left invalid), so the migration is run again whole."""

from django.db import migrations, models

NEW = "progress_by_work_state"
# The name Django gave the field's own index (0010's; the same in every database).
OLD = "roadmap_progress_work_id_839db52b"


def built(name: str, columns: str) -> list[str]:
    return [
        f"DROP INDEX CONCURRENTLY IF EXISTS {name}",
        f"CREATE INDEX CONCURRENTLY {name} ON roadmap_progress ({columns})",
    ]


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("roadmap", "0025_tables_rendered")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(
                    model_name="progress",
                    index=models.Index(fields=["work", "state"], name=NEW),
                ),
                migrations.AlterField(
                    model_name="progress",
                    name="work",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=models.deletion.PROTECT,
                        related_name="progress",
                        to="roadmap.work",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    built(NEW, "work_id, state"), [f"DROP INDEX CONCURRENTLY IF EXISTS {NEW}"]
                ),
                migrations.RunSQL(
                    f"DROP INDEX CONCURRENTLY IF EXISTS {OLD}", built(OLD, "work_id")
                ),
            ],
        ),
    ]
