"""A learner's zone PostgreSQL does not know (its zone list older than Python's) must never
stop the write it is recorded for: the day is taken in UTC then."""

from django.db import migrations

LOCAL_DAY = """
CREATE OR REPLACE FUNCTION activity_local_day(at timestamptz, zone text) RETURNS date
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (at AT TIME ZONE coalesce(zone, 'UTC'))::date;
EXCEPTION WHEN invalid_parameter_value THEN
  RETURN (at AT TIME ZONE 'UTC')::date;
END $$;
"""

BEFORE = """
CREATE OR REPLACE FUNCTION activity_local_day(at timestamptz, zone text) RETURNS date
LANGUAGE sql STABLE AS $$ SELECT (at AT TIME ZONE coalesce(zone, 'UTC'))::date $$;
"""


class Migration(migrations.Migration):
    dependencies = [("activity", "0002_record_every_change")]

    operations = [migrations.RunSQL(LOCAL_DAY, BEFORE)]
