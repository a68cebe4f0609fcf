"""An index for a learner's latest event, built without locking the table against the
ticks being recorded meanwhile."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("activity", "0003_local_day_never_fails")]

    operations = [
        AddIndexConcurrently(
            model_name="event",
            index=models.Index(fields=["user", "-id"], name="activity_event_user_latest"),
        ),
    ]
