"""Learners in "CET", "MET", "EET" or "WET" move to the zone tzdata links each name to:
PostgreSQL reads those names as fixed offsets with no summer time, so their days were
reckoned an hour off every summer (accounts/forms.py no longer offers them). Past days
stay as they were recorded."""

from django.db import migrations

LINKED = {
    "CET": "Europe/Brussels",
    "MET": "Europe/Brussels",
    "EET": "Europe/Athens",
    "WET": "Europe/Lisbon",
}


def forwards(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    for name, zone in LINKED.items():
        User.objects.filter(time_zone=name).update(time_zone=zone)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_weekly_goal_bounds")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
