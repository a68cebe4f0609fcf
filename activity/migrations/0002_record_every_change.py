"""Every change of a learner's state is recorded by the database, in the statement that
makes it: a row trigger on roadmap_progress appends an activity_event with the instant
and the learner's date in their zone at that instant. So the tick's one statement, a
reset, a visitor's states kept at sign-up and any write made another way are all
recorded, in the same transaction, at no extra round trip. A transaction that says
it is a curator's (`SET LOCAL roadmap.curating = 'on'`, roadmap.services.work_join)
records nothing: joining two works is no learner's doing.

The events go with their user by the database (ON DELETE CASCADE): deleting an account
deletes its progress rows first, whose deletion records events on its way, and those go
with the user's row."""

from django.db import migrations

LOCAL_DAY = """
CREATE FUNCTION activity_local_day(at timestamptz, zone text) RETURNS date
LANGUAGE sql STABLE AS $$ SELECT (at AT TIME ZONE coalesce(zone, 'UTC'))::date $$;
"""

# (Its own name: 0005 replaces it, and puts it back when it is reversed.)
RECORD_FUNCTION = """
CREATE FUNCTION activity_record() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  learner bigint;
  work bigint;
  before text;
  after text;
BEGIN
  IF coalesce(current_setting('roadmap.curating', true), '') = 'on' THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    learner := NEW.user_id; work := NEW.work_id; before := 'not_started'; after := NEW.state;
  ELSIF TG_OP = 'DELETE' THEN
    learner := OLD.user_id; work := OLD.work_id; before := OLD.state; after := 'not_started';
  ELSE
    IF OLD.state = NEW.state OR OLD.work_id <> NEW.work_id OR OLD.user_id <> NEW.user_id THEN
      RETURN NULL;  -- no change of state (a date kept, a row moved between works)
    END IF;
    learner := NEW.user_id; work := NEW.work_id; before := OLD.state; after := NEW.state;
  END IF;
  INSERT INTO activity_event (user_id, work_id, before, after, at, day)
  SELECT learner, work, before, after, now(), activity_local_day(now(), u.time_zone)
  FROM accounts_user u WHERE u.id = learner;
  RETURN NULL;
END $$;
"""

TRIGGER = """
CREATE TRIGGER activity_record AFTER INSERT OR UPDATE OR DELETE ON roadmap_progress
FOR EACH ROW EXECUTE FUNCTION activity_record();
"""

RECORD = LOCAL_DAY + RECORD_FUNCTION + TRIGGER

FORGET = """
DROP TRIGGER activity_record ON roadmap_progress;
DROP FUNCTION activity_record();
DROP FUNCTION activity_local_day(timestamptz, text);
"""


def user_constraint(apps, schema_editor) -> None:
    """Django names the user's foreign key with a hash: found, then replaced."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = 'activity_event'::regclass"
            " AND contype = 'f' AND confrelid = 'accounts_user'::regclass"
        )
        (name,) = cursor.fetchone()
        cursor.execute(f'ALTER TABLE activity_event DROP CONSTRAINT "{name}"')
        cursor.execute(
            "ALTER TABLE activity_event ADD CONSTRAINT activity_event_user_cascade"
            " FOREIGN KEY (user_id) REFERENCES accounts_user (id) ON DELETE CASCADE"
            " DEFERRABLE INITIALLY DEFERRED"
        )


class Migration(migrations.Migration):
    dependencies = [("activity", "0001_initial")]

    operations = [
        migrations.RunSQL(RECORD, FORGET),
        migrations.RunPython(user_constraint, migrations.RunPython.noop),
    ]
