"""A visitor's states, kept when they sign up or log in (a transaction that says so:
`roadmap.keeping`, roadmap.services.writing_as), are recorded when the visitor set them
(each row's `completed_at`), not all at the moment of sign-up: the heatmap, the streak
and "This week" showed weeks of a visitor's ticks as one day. Every other change is
recorded now, as before."""

from importlib import import_module

from django.db import migrations

RECORD = """
CREATE OR REPLACE FUNCTION activity_record() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  learner bigint;
  work bigint;
  before text;
  after text;
  at timestamptz := now();
BEGIN
  IF coalesce(current_setting('roadmap.curating', true), '') = 'on' THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    learner := NEW.user_id; work := NEW.work_id; before := 'not_started'; after := NEW.state;
    IF coalesce(current_setting('roadmap.keeping', true), '') = 'on' THEN
      at := least(at, NEW.completed_at);  -- a visitor's state kept: when they set it
    END IF;
  ELSIF TG_OP = 'DELETE' THEN
    learner := OLD.user_id; work := OLD.work_id; before := OLD.state; after := 'not_started';
  ELSE
    IF OLD.state = NEW.state OR OLD.work_id <> NEW.work_id OR OLD.user_id <> NEW.user_id THEN
      RETURN NULL;  -- no change of state (a date kept, a row moved between works)
    END IF;
    learner := NEW.user_id; work := NEW.work_id; before := OLD.state; after := NEW.state;
  END IF;
  INSERT INTO activity_event (user_id, work_id, before, after, at, day)
  SELECT learner, work, before, after, at, activity_local_day(at, u.time_zone)
  FROM accounts_user u WHERE u.id = learner;
  RETURN NULL;
END $$;
"""

# What it was: 0002's, put back as it was when this is reversed.
BEFORE = import_module("activity.migrations.0002_record_every_change").RECORD_FUNCTION.replace(
    "CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1
)


class Migration(migrations.Migration):
    dependencies = [("activity", "0004_event_user_latest")]

    operations = [migrations.RunSQL(RECORD, BEFORE)]
