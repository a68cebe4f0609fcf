"""A learner's history by id, newest first, in place of by day: it finds their latest event
at once and still serves a year of it. Built and dropped without locking the table
against the ticks being recorded meanwhile."""

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("activity", "0003_local_day_never_fails")]

    operations = [
        AddIndexConcurrently(
            model_name="event",
            index=models.Index(fields=["user", "-id"], name="activity_event_user_latest"),
        ),
        RemoveIndexConcurrently(model_name="event", name="activity_event_user_day"),
    ]
