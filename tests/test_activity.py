"""A learner's history and rhythm (activity/): every change recorded with the day it was
where they were, streaks and the weekly goal in their zone, the weekly summary sent at
most once, and the jobs that run it."""

import io
import os
import re
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import pytest
from allauth.account.models import EmailAddress
from django.core import mail, signing
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.forms import time_zones
from accounts.models import User
from activity import digests
from activity.digests import digests_send, unsubscribe_token
from activity.models import LATEST_EVENT, Digest, Event, latest_event_and_today
from activity.rhythm import Rhythm, paces, rhythm_from, rhythm_of
from roadmap.models import Progress, Resource
from roadmap.progress import learner_state
from roadmap.services import (
    progress_reset,
    progress_set,
    work_join,
)
from tests.factories import UserFactory, build_roadmap
from tests.progress_helpers import at_once


def local_day(instant: str, zone: str) -> date:
    """The day the database records for a change at `instant` by a learner in `zone`."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT activity_local_day(%s::timestamptz, %s)", [instant, zone])
        return cursor.fetchone()[0]


@pytest.mark.parametrize(
    ("instant", "zone", "day"),
    [
        # Europe/Berlin springs forward on 2026-03-29 (02:00 → 03:00) and falls back on
        # 2026-10-25 (03:00 → 02:00): late evening stays on its own day either side.
        ("2026-03-28 22:30+00", "Europe/Berlin", date(2026, 3, 28)),  # 23:30 CET
        ("2026-03-29 21:30+00", "Europe/Berlin", date(2026, 3, 29)),  # 23:30 CEST
        ("2026-03-29 22:30+00", "Europe/Berlin", date(2026, 3, 30)),  # 00:30 CEST
        ("2026-10-25 22:30+00", "Europe/Berlin", date(2026, 10, 25)),  # 23:30 CET again
        ("2026-10-24 21:30+00", "Europe/Berlin", date(2026, 10, 24)),  # 23:30 CEST
        # America/New_York: 2026-03-08 and 2026-11-01.
        ("2026-03-09 03:30+00", "America/New_York", date(2026, 3, 8)),  # 23:30 EDT
        ("2026-11-02 04:30+00", "America/New_York", date(2026, 11, 1)),  # 23:30 EST
        ("2026-11-02 05:30+00", "America/New_York", date(2026, 11, 2)),  # 00:30 EST
        # UTC+14 and UTC-11: the same instant, two days apart.
        ("2026-01-01 10:30+00", "Pacific/Kiritimati", date(2026, 1, 2)),
        ("2026-01-01 10:30+00", "Pacific/Pago_Pago", date(2025, 12, 31)),
        ("2026-01-01 10:30+00", "UTC", date(2026, 1, 1)),
    ],
)
def test_each_change_is_dated_in_the_learners_zone_at_the_time(db, instant, zone, day):
    assert local_day(instant, zone) == day


def test_a_zone_the_database_does_not_know_never_stops_a_write(three):
    """A zone name newer than the database's list: the day is taken in UTC, and the
    tick, and the learner's history, are written all the same."""
    ada = UserFactory()
    User.objects.filter(pk=ada.pk).update(time_zone="Mars/Olympus_Mons")
    progress_set(user=ada, resource=three[0], done=True)
    event = Event.objects.get(user=ada)
    assert event.day == event.at.astimezone(UTC).date()
    assert "Mars/Olympus_Mons" not in time_zones()


def test_a_zone_python_cannot_load_shows_the_learners_pages_in_utc(three, client):
    """A stored zone no longer known (a direct write, or tzdata dropping it): /me/ and the
    weekly summary take UTC, as the database takes the learner's days, rather than fail."""
    ada = opted_in("UTC")  # (in Berlin, from 23:00 UTC the day it records is tomorrow)
    progress_set(user=ada, resource=three[0], done=True)
    User.objects.filter(pk=ada.pk).update(time_zone="Mars/Olympus_Mons")
    client.force_login(ada)
    response = client.get("/me/")
    assert response.status_code == 200
    today = datetime.now(UTC).date()
    assert f"1 resource on {today.isoformat()}" in response.content.decode()
    call_command("send_digests", "--force", stdout=io.StringIO())
    assert [message.to for message in mail.outbox] == [[ada.email]]


@pytest.fixture
def three(db):
    build_roadmap(parts=1, topics_per_part=1, resources_per_topic=3)
    from roadmap.models import Resource

    return list(Resource.objects.order_by("pk"))


def events(user) -> list[tuple[str, str]]:
    return list(Event.objects.filter(user=user).order_by("pk").values_list("before", "after"))


def test_every_change_is_recorded_in_the_transaction_that_makes_it(three):
    ada = UserFactory(time_zone="Pacific/Kiritimati")
    progress_set(user=ada, resource=three[0], state="in_progress")
    progress_set(user=ada, resource=three[0], state="done")
    progress_set(user=ada, resource=three[0], state="done")  # no change: nothing
    progress_set(user=ada, resource=three[0], state="not_started")
    assert events(ada) == [
        ("not_started", "in_progress"),
        ("in_progress", "done"),
        ("done", "not_started"),
    ]
    event = Event.objects.filter(user=ada).first()
    assert event.work_id == three[0].work_id
    assert event.day == event.at.astimezone(ZoneInfo("Pacific/Kiritimati")).date()


def test_a_reset_is_recorded_and_a_curators_join_is_not(three):
    ada = UserFactory()
    progress_set(user=ada, resource=three[0], done=True)
    progress_set(user=ada, resource=three[1], done=True)
    work_join(from_work=three[1].work, into_work=three[0].work)  # a curator's doing
    assert events(ada) == [("not_started", "done")] * 2
    progress_reset(user=ada, part=None, roadmap=None, notes=False)
    # (Her row on the work joined from stays where no resource shows it; a reset of
    # everything clears it too.)
    assert events(ada)[2:] == [("done", "not_started")] * 2
    assert Progress.objects.filter(user=ada).count() == 0


def test_a_learner_who_changes_zone_keeps_their_past_days(three, client):
    ada = UserFactory(time_zone="Asia/Tokyo")
    progress_set(user=ada, resource=three[0], done=True)
    # As if it was made 30 days ago at 20:30 UTC: 05:30 the next day in Tokyo.
    when = datetime.now(UTC).replace(hour=20, minute=30) - timedelta(days=30)
    tokyo = when.astimezone(ZoneInfo("Asia/Tokyo")).date()
    Event.objects.filter(user=ada).update(at=when, day=tokyo)
    ada.time_zone = "America/Los_Angeles"  # where that instant is the day before
    ada.save()
    progress_set(user=ada, resource=three[1], done=True)  # a new change: their new zone
    first, new = Event.objects.filter(user=ada).order_by("pk")
    assert first.day == tokyo != when.astimezone(ZoneInfo("America/Los_Angeles")).date()
    assert new.day == new.at.astimezone(ZoneInfo("America/Los_Angeles")).date()
    client.force_login(ada)
    html = client.get("/me/").content.decode()
    assert f"1 resource on {tokyo.isoformat()}" in html


def test_a_state_a_join_moved_is_the_same_resources_when_changed_after(three, client):
    """Done on A; a curator joins A into B (her state moves there); she unticks it, then
    ticks it again: one resource, done once, on /me/ and in the summary."""
    ada = opted_in("UTC", weekly_goal=5)
    progress_set(user=ada, resource=three[1], done=True)
    work_join(from_work=three[1].work, into_work=three[0].work)
    progress_set(user=ada, resource=three[0], done=False)
    client.force_login(ada)
    assert "This week: 0 of 5" in client.get("/me/").content.decode()
    progress_set(user=ada, resource=three[0], done=True)
    html = client.get("/me/").content.decode()
    today = Event.objects.filter(user=ada).latest("pk").day
    assert "This week: 1 of 5" in html and f"1 resource on {today}" in html
    monday = today + timedelta(days=7 - today.weekday())
    assert digests_send(now=datetime(monday.year, monday.month, monday.day, 8, 5, tzinfo=UTC))
    assert "last week you finished 1 of 5" in mail.outbox[0].body


def test_a_change_dated_in_a_zone_east_of_the_learners_new_one_shows_today(three, client):
    """Ticked in Kiritimati (already tomorrow in Honolulu), then the zone set to Honolulu:
    the tick is today's, on the heatmap, the streak and the week."""
    ada = UserFactory(time_zone="Pacific/Kiritimati", weekly_goal=2)
    progress_set(user=ada, resource=three[0], done=True)
    ada.time_zone = "Pacific/Honolulu"  # the same instant, a day earlier
    ada.save()
    client.force_login(ada)
    html = client.get("/me/").content.decode()
    today = datetime.now(ZoneInfo("Pacific/Honolulu")).date()
    assert Event.objects.get(user=ada).day > today  # (as recorded: a past day never moves)
    assert f"1 resource on {today}" in html
    assert "Current streak: 1 day" in html and "Longest streak: 1 day" in html
    assert "This week: 1 of 2" in html


def rhythm(today: date, *active_days: date, completed: dict | None = None) -> Rhythm:
    return Rhythm(today, {day: {1} for day in active_days}, completed or {})


def test_a_streak_alive_yesterday_is_current_all_today_and_broken_after():
    today = date(2026, 12, 6)
    days = [today - timedelta(days=n) for n in (1, 2, 3)]
    assert rhythm(today, *days).current_streak == 3  # not yet today: still alive
    assert rhythm(today, today, *days).current_streak == 4
    tomorrow = today + timedelta(days=1)
    assert rhythm(tomorrow + timedelta(days=1), *days).current_streak == 0  # broken
    assert rhythm(today, *days, today - timedelta(days=9)).longest_streak == 3
    assert rhythm(today).current_streak == rhythm(today).longest_streak == 0


def test_streaks_reach_back_past_the_heatmaps_year():
    today = date(2026, 12, 6)
    long_ago = [today - timedelta(days=n) for n in range(410, 510)]  # 100 days, long ago
    lately = [today - timedelta(days=n) for n in range(400)]  # 400 days, up to today
    # A step forward a day (a work started, and stopped again the same day).
    changes = [
        change
        for day in sorted(long_ago + lately)
        for change in (
            (1, "not_started", "in_progress", day),
            (1, "in_progress", "not_started", day),
        )
    ]
    rhythm = rhythm_from(today, changes)
    assert (rhythm.current_streak, rhythm.longest_streak) == (400, 400)
    rhythm = rhythm_from(today, [c for c in changes if c[3] in {*long_ago, today}])
    assert (rhythm.current_streak, rhythm.longest_streak) == (1, 100)


def test_the_year_counts_its_own_active_days_and_the_week_each_resource_once():
    """A resource started on Tuesday and done on Wednesday is one resource moved forward
    last week, on two days; the heatmap's year counts only its own active days."""
    today = date(2026, 12, 7)  # a Monday
    tuesday, wednesday = date(2026, 12, 1), date(2026, 12, 2)
    long_ago = today - timedelta(days=500)
    changes = [
        (1, "not_started", "in_progress", long_ago),
        (1, "in_progress", "not_started", long_ago),
        (1, "not_started", "in_progress", tuesday),
        (1, "in_progress", "done", wednesday),
        (2, "not_started", "skipped", wednesday),
    ]
    rhythm = rhythm_from(today, changes)
    assert rhythm.last_week == (2, 2)  # resources moved forward, and finished
    assert rhythm.active_this_year == 2  # not the day 500 days ago
    # A day after today in the learner's zone now (they moved west since): the heatmap
    # leaves it out, and so does its count.
    later = rhythm_from(today, [*changes, (3, "not_started", "done", today + timedelta(days=1))])
    assert later.active_this_year == 2


def test_changing_done_for_skipped_is_no_step_forward_and_keeps_the_day_it_was_done(three):
    """Relabelling finished work neither finishes it again this week nor makes a day
    active; going back and then forward again does both."""
    ada = UserFactory(weekly_goal=3)
    progress_set(user=ada, resource=three[0], done=True)
    last_week = datetime.now(UTC) - timedelta(days=8)
    Event.objects.filter(user=ada).update(at=last_week, day=last_week.date())
    progress_set(user=ada, resource=three[0], state="skipped")
    progress_set(user=ada, resource=three[0], state="done")
    progress_set(user=ada, resource=three[0], state="in_progress")  # back: no step forward
    rhythm = rhythm_of(ada)
    assert (rhythm.this_week, rhythm.current_streak, rhythm.active[rhythm.today]) == (0, 0, 0)
    assert rhythm.completed == {}
    progress_set(user=ada, resource=three[0], state="done")  # finished again, today
    rhythm = rhythm_of(ada)
    assert (rhythm.this_week, rhythm.current_streak, rhythm.active[rhythm.today]) == (1, 1, 1)


def test_this_week_is_the_iso_week_in_the_first_week_of_a_year():
    # 2027-01-01 is a Friday: its ISO week began on Monday 2026-12-28.
    today = date(2027, 1, 2)
    completed = {1: date(2026, 12, 27), 2: date(2026, 12, 28), 3: date(2027, 1, 1)}
    assert rhythm(today, completed=completed).this_week == 2
    assert rhythm(date(2027, 1, 4), completed=completed).this_week == 0  # a new week


def test_the_dashboard_shows_streaks_the_goal_and_a_labelled_year(three, client):
    ada = UserFactory(time_zone="Europe/Berlin", weekly_goal=3)
    progress_set(user=ada, resource=three[0], done=True)
    progress_set(user=ada, resource=three[1], state="in_progress")
    today = datetime.now(ZoneInfo("Europe/Berlin")).date()
    Event.objects.create(
        user=ada,
        work=three[2].work,
        before="not_started",
        after="skipped",
        at=datetime.now(UTC) - timedelta(days=1),
        day=today - timedelta(days=1),
    )
    client.force_login(ada)
    html = client.get("/me/").content.decode()
    assert "Current streak: 2 days" in html
    assert "Longest streak: 2 days" in html
    this_week = 1 + (today.weekday() > 0)  # on a Monday, yesterday was last week
    assert f"This week: {this_week} of 3" in html
    assert f"2 resources on {today.isoformat()}" in html
    assert f"1 resource on {(today - timedelta(days=1)).isoformat()}" in html
    assert f"0 resources on {(today - timedelta(days=2)).isoformat()}" in html
    # A screen reader hears each day with its week and weekday: the table's headers.
    monday = today - timedelta(days=today.weekday())
    assert f'<th scope="row" class="visually-hidden">Week of {monday.isoformat()}</th>' in html
    assert html.count('<th scope="col">') == 7
    assert "A day counts when you move at least one resource forward" in html
    assert re.search(r"at your pace of [\d.]+ a week \(last 4 weeks\), you will finish", html)


def test_the_rhythm_kept_on_me_follows_every_change_and_every_day(three, client, monkeypatch):
    """What /me/ keeps of the rhythm is named by all it is made of: a change shows on the
    next look, even one that leaves the learner's states as they were; so do a new goal
    and a new day; and another learner never sees it."""
    ada = UserFactory(weekly_goal=3)
    client.force_login(ada)
    today = datetime.now(UTC).date()
    assert f"0 resources on {today.isoformat()}" in client.get("/me/").content.decode()
    progress_set(user=ada, resource=three[0], done=True)
    progress_set(user=ada, resource=three[0], state="not_started")  # her states as before
    html = client.get("/me/").content.decode()
    assert f"1 resource on {today.isoformat()}" in html
    assert "Current streak: 1 day" in html
    ada.weekly_goal = 5
    ada.save()
    assert "This week: 0 of 5" in client.get("/me/").content.decode()
    later = datetime.now(UTC) + timedelta(days=2)
    with monkeypatch.context() as patched:
        patched.setattr("django.utils.timezone.now", lambda: later)
        html = client.get("/me/").content.decode()
    assert "Current streak: 0 days" in html and "Longest streak: 1 day" in html
    client.force_login(UserFactory())
    assert f"0 resources on {today.isoformat()}" in client.get("/me/").content.decode()


def test_a_learners_latest_event_is_found_by_its_index(three):
    """/me/ names its kept rhythm by the learner's latest event: one index probe, not a
    walk through everyone's history."""
    ada = UserFactory()
    progress_set(user=ada, resource=three[0], done=True)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + LATEST_EVENT, [ada.pk])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "activity_event_user_latest" in plan
    now = datetime.now(UTC)
    latest = Event.objects.filter(user=ada).latest("pk").pk
    assert latest_event_and_today(ada, now) == (latest, now.date())
    assert latest_event_and_today(UserFactory(), now) == (0, now.date())


def test_today_is_reckoned_as_the_day_of_a_change_is(three):
    """The database dates each change by its copy of the zone rules; "today" is taken
    from the same, not from Python's, which may differ (here PostgreSQL reads "CET" as
    a fixed offset, Python as Central European Summer Time): a tick counts today, and the
    streak with it, whichever copy is newer."""
    ada = UserFactory()
    User.objects.filter(pk=ada.pk).update(time_zone="CET")  # (no longer offered)
    ada.refresh_from_db()
    instant = datetime(2026, 7, 1, 22, 30, tzinfo=UTC)  # 00:30 on the 2nd in Berlin
    progress_set(user=ada, resource=three[0], done=True)
    day = local_day(instant.isoformat(), "CET")
    assert day != instant.astimezone(ZoneInfo("CET")).date()  # the two copies disagree
    Event.objects.filter(user=ada).update(at=instant, day=day)
    rhythm = rhythm_of(ada, instant)
    assert rhythm.today == day
    assert (rhythm.current_streak, rhythm.this_week, rhythm.active[day]) == (1, 1, 1)
    assert latest_event_and_today(ada, instant)[1] == day


def test_the_profile_refuses_a_zone_read_as_a_fixed_offset_and_keeps_one_a_learner_has(client, db):
    """ "CET" posted is refused and changes nothing; a learner already in "EST" (a fixed
    offset either way, no longer offered) sees it first and saves their profile with it."""
    ada = UserFactory(time_zone="EST")
    client.force_login(ada)
    page = client.get("/me/profile/").content.decode()
    assert re.search(r'<select name="time_zone"[^>]*>\s*<option value="EST" selected>', page)
    assert '<option value="CET"' not in page
    data = {"display_name": "Ada", "time_zone": "CET", "weekly_goal": "3"}
    refused = client.post("/me/profile/", data)
    assert refused.status_code == 200 and "Select a valid choice" in refused.content.decode()
    ada.refresh_from_db()
    assert (ada.time_zone, ada.weekly_goal) == ("EST", None)
    assert client.post("/me/profile/", data | {"time_zone": "EST"}).status_code == 302
    ada.refresh_from_db()
    assert (ada.time_zone, ada.weekly_goal) == ("EST", 3)


def test_zones_the_database_reads_as_fixed_offsets_are_not_offered_and_move(db):
    """ "CET", "MET", "EET" and "WET": fixed offsets to PostgreSQL, zones with summer time
    to Python. The profile does not offer them; learners in them move to the zone tzdata
    links each to."""
    import importlib

    from django.apps import apps

    offered = set(time_zones())
    assert {"CET", "MET", "EET", "WET"}.isdisjoint(offered)
    assert {"UTC", "Europe/Brussels", "Europe/Athens", "Europe/Lisbon"} <= offered
    learners = {name: UserFactory(time_zone=name) for name in ("CET", "EET", "WET", "UTC")}
    migration = importlib.import_module("accounts.migrations.0006_zones_not_read_as_abbreviations")
    migration.forwards(apps, None)
    assert {name: User.objects.get(pk=user.pk).time_zone for name, user in learners.items()} == {
        "CET": "Europe/Brussels",
        "EET": "Europe/Athens",
        "WET": "Europe/Lisbon",
        "UTC": "UTC",
    }


def test_the_pace_counts_only_what_counts_in_the_roadmap(db):
    """A resource archived since it was done no longer counts: neither in what is left
    nor in the pace (one done of what counts in four weeks: a quarter a week, so the two
    left take eight weeks)."""
    build_roadmap(parts=1, topics_per_part=1, resources_per_topic=4)
    first, archived, *_rest = Resource.objects.order_by("pk")
    ada = UserFactory()
    progress_set(user=ada, resource=first, done=True)
    progress_set(user=ada, resource=archived, done=True)
    Resource.objects.filter(pk=archived.pk).update(status=Resource.Status.ARCHIVED)
    [pace] = paces(rhythm_of(ada), learner_state(user=ada))
    assert (pace.per_week, pace.weeks) == (0.25, 8)


def test_a_summary_goes_to_an_address_verified_whatever_its_case(three):
    """allauth keeps addresses in lower case; the learner's own may have capitals."""
    ada = opted_in()
    User.objects.filter(pk=ada.pk).update(email="Ada.Lovelace@Example.COM")
    EmailAddress.objects.filter(user=ada).update(email="ada.lovelace@example.com")
    assert digests_send(now=MONDAY) == 1
    assert mail.outbox[0].to == ["Ada.Lovelace@Example.COM"]


def test_the_share_page_shows_activity_only_when_its_owner_says_so(three, client):
    from roadmap.services import share_link_enable

    ada = UserFactory()
    progress_set(user=ada, resource=three[0], done=True)
    url = share_link_enable(user=ada).get_absolute_url()
    assert "Current streak" not in client.get(url).content.decode()
    ada.activity_shared = True
    ada.save()
    html = client.get(url).content.decode()
    assert "Current streak: 1 day" in html and "1 resource on" in html
    assert "This week" not in html  # the goal is the learner's own


def test_the_share_pages_activity_follows_a_join_as_the_learners_own_page_does(three, client):
    """Two resources done today; a curator gives the second the first's URL and joins the
    learners' states: they are one resource now, on /me/ and on the share page alike."""
    from roadmap.models import Work
    from roadmap.services import share_link_enable

    ada = UserFactory(activity_shared=True)
    for resource in three[:2]:
        progress_set(user=ada, resource=resource, done=True)
    share = share_link_enable(user=ada).get_absolute_url()
    client.force_login(ada)
    today = datetime.now(UTC).date()  # (ada's zone: UTC)
    for page in ("/me/", share):
        assert f"2 resources on {today}" in client.get(page).content.decode()
    moved = Resource.objects.get(pk=three[1].pk)
    was = Work.objects.get(pk=moved.work_id)
    moved.url = three[0].url
    moved.save()  # (as admin saves it, then joins the states)
    work_join(from_work=was, into_work=moved.work, resource=moved)
    for page in ("/me/", share):
        assert f"1 resource on {today}" in client.get(page).content.decode(), page


def test_export_has_the_activity_and_deleting_the_account_deletes_it(three, client):
    ada = UserFactory()
    progress_set(user=ada, resource=three[0], done=True)
    client.force_login(ada)
    data = client.get("/me/export.json").json()
    assert [(e["from"], e["to"]) for e in data["activity"]] == [("not_started", "done")]
    assert data["account"]["time_zone"] == "UTC"
    from accounts.services import account_delete

    account_delete(user=ada)
    assert not Event.objects.exists()


def test_the_profile_saves_zone_goal_and_choices(client, learner):
    client.force_login(learner)
    html = client.get("/me/profile/").content.decode()
    for label in (
        "Time zone",
        "Weekly goal",
        "Email me a weekly summary",
        "Show my activity on my share page",
    ):
        assert label in html
    assert re.search(r'<select name="time_zone"[^>]*>\s*<option value="UTC" selected>', html)
    data = {
        "display_name": "Ada",
        "time_zone": "Pacific/Kiritimati",
        "weekly_goal": "5",
        "weekly_email": "on",
        "activity_shared": "on",
    }
    assert client.post("/me/profile/", data).status_code == 302
    learner.refresh_from_db()
    assert (learner.time_zone, learner.weekly_goal, learner.weekly_email) == (
        "Pacific/Kiritimati",
        5,
        True,
    )
    bad = client.post("/me/profile/", data | {"time_zone": "Mars/Olympus", "weekly_goal": "0"})
    assert bad.status_code == 200
    learner.refresh_from_db()
    assert learner.time_zone == "Pacific/Kiritimati" and learner.weekly_goal == 5
    for goal in ("501", "-3", "lots"):
        refused = client.post("/me/profile/", data | {"weekly_goal": goal})
        assert refused.status_code == 200 and 'id="id_weekly_goal"' in refused.content.decode()
        learner.refresh_from_db()
        assert learner.weekly_goal == 5, goal
    page = client.get("/me/profile/").content.decode()
    assert re.search(r'name="weekly_goal"[^>]*min="1"', page)  # the bounds, said to browsers
    assert re.search(r'name="weekly_goal"[^>]*max="500"', page)


@pytest.mark.parametrize(("sent", "kept"), [("America/New_York", "America/New_York"), ("", "UTC")])
def test_sign_up_takes_the_browsers_zone(db, client, sent, kept):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "grace",
            "email": "grace@example.com",
            "password1": "a long enough passphrase",
            "time_zone": sent,
        },
    )
    assert response.status_code == 302

    assert User.objects.get(username="grace").time_zone == kept


def opted_in(zone: str = "Europe/Berlin", **fields):
    user = UserFactory(time_zone=zone, weekly_email=True, **fields)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


# Monday 2026-12-07 08:05 in Berlin is 07:05 UTC.
MONDAY = datetime(2026, 12, 7, 7, 5, tzinfo=UTC)


def test_the_summary_goes_on_monday_morning_to_those_who_asked_once_a_week(three):
    ada = opted_in()
    progress_set(user=ada, resource=three[0], done=True)
    unverified = UserFactory(weekly_email=True)
    EmailAddress.objects.create(user=unverified, email=unverified.email, verified=False)
    UserFactory()  # never asked
    assert digests_send(now=MONDAY - timedelta(hours=2)) == 0  # 06:05 in Berlin
    assert digests_send(now=MONDAY) == 1
    assert digests_send(now=MONDAY) == 0  # the job run twice
    assert digests_send(now=MONDAY + timedelta(days=3)) == 0  # later that week
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [ada.email]
    url = message.extra_headers["List-Unsubscribe"]
    assert re.fullmatch(r"<https?://[^>]+/activity/unsubscribe/[^/]+/>", url)
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Current streak" in message.body
    assert digests_send(now=MONDAY + timedelta(weeks=1)) == 1  # the next Monday


def test_a_worker_killed_after_the_claim_sends_nothing_twice(three, monkeypatch):
    opted_in()

    def killed(*args, **kwargs):
        raise SystemExit("killed")

    monkeypatch.setattr(digests.EmailMessage, "send", killed)
    with pytest.raises(SystemExit):
        digests_send(now=MONDAY)
    monkeypatch.undo()
    assert digests_send(now=MONDAY) == 0
    assert Digest.objects.count() == 1 and not mail.outbox


def test_a_summary_the_mail_server_refuses_is_put_back_and_sent_by_the_next_run(three, monkeypatch):
    """The server went away mid-run: no one's summary counts as sent, each learner's last
    one is as it was, and the next hour's run sends them."""
    import smtplib

    ada, bob = opted_in(), opted_in()
    assert digests_send(now=MONDAY - timedelta(weeks=1)) == 2
    before = {digest.user_id: digest for digest in Digest.objects.all()}
    carol = opted_in()

    tried = []

    def refused(*args, **kwargs):
        tried.append(1)
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr(digests.EmailMessage, "send", refused)
    assert digests_send(now=MONDAY) == 0
    assert len(tried) == 1  # the run stops: nobody else's waits on a server that is gone
    monkeypatch.undo()
    after = {digest.user_id: digest for digest in Digest.objects.all()}
    assert set(after) == {ada.pk, bob.pk} and carol.pk not in after
    for pk, digest in after.items():
        assert (digest.sent_at, digest.subject, digest.body) == (
            before[pk].sent_at,
            before[pk].subject,
            before[pk].body,
        )
    mail.outbox.clear()
    assert digests_send(now=MONDAY + timedelta(hours=1)) == 3
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        user.email for user in (ada, bob, carol)
    )


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_one(three):
    opted_in()
    sent = at_once(lambda: digests_send(now=MONDAY), 2)
    assert sorted(sent) == [0, 1]


def test_force_sends_whatever_the_day_to_those_not_sent_for_six_days(three):
    ada = opted_in()
    wednesday = MONDAY + timedelta(days=2)
    assert digests_send(now=wednesday) == 0
    assert digests_send(now=wednesday, force=True) == 1
    assert digests_send(now=wednesday + timedelta(days=5), force=True) == 0  # five days
    assert digests_send(now=wednesday + timedelta(days=6, hours=1), force=True) == 1
    assert len(mail.outbox) == 2
    Digest.objects.filter(user=ada).update(sent_at=MONDAY - timedelta(weeks=3))
    call_command("send_digests", "--force")  # the command, now: three weeks since
    assert len(mail.outbox) == 3


def test_never_two_in_six_days_even_when_the_zone_changes(three):
    ada = opted_in(zone="Asia/Tokyo")
    sunday_evening_utc = datetime(2026, 12, 6, 23, 5, tzinfo=UTC)  # Monday 08:05 in Tokyo
    assert digests_send(now=sunday_evening_utc) == 1
    ada.time_zone = "America/Los_Angeles"
    ada.save()
    monday_la = datetime(2026, 12, 7, 16, 5, tzinfo=UTC)  # Monday 08:05 in Los Angeles
    assert digests_send(now=monday_la) == 0
    assert digests_send(now=monday_la + timedelta(weeks=1)) == 1


def test_summaries_built_together_say_what_each_says_alone_in_queries_that_do_not_grow(
    three,
):
    """A run reads its learners' rhythms and standings together: each summary says what
    it says built alone, whatever the learner's zone and year, and a learner more costs
    one statement (their claim), not a read of their own."""
    # Monday 05:00 UTC: Monday evening in Kiritimati, Monday morning in Berlin, still
    # Sunday in Pago Pago, whose year so starts a week earlier.
    now = datetime(2026, 12, 14, 5, 0, tzinfo=UTC)
    zones = ["Pacific/Kiritimati", "Pacific/Pago_Pago", "Europe/Berlin", "UTC"]
    learners = [opted_in(zone=zone, weekly_goal=2) for zone in zones]
    for n, learner in enumerate(learners):
        for resource in three[: n + 1]:
            progress_set(user=learner, resource=resource, done=True)
    Event.objects.filter(user=learners[1]).update(
        at=now - timedelta(weeks=1), day=date(2026, 12, 6)
    )
    # Berlin's changes are older than her heatmap's year (and in Pago Pago's): still her
    # longest streak, read with the others' or alone.
    Event.objects.filter(user=learners[2]).update(
        at=now - timedelta(weeks=52), day=date(2025, 12, 10)
    )
    alone = {learner.email: digests.summary_of(learner, now).body for learner in learners}
    assert "Current streak: 0 days. Longest streak: 1 day" in alone[learners[2].email]
    with CaptureQueriesContext(connection) as four:
        assert digests_send(now=now, force=True) == 4

    def unsubscribed(body: str) -> str:
        return body.rsplit("/activity/unsubscribe/", 1)[0]

    assert sorted(alone) == sorted(message.to[0] for message in mail.outbox)
    for message in mail.outbox:
        assert unsubscribed(message.body) == unsubscribed(alone[message.to[0]])
    Digest.objects.all().delete()
    for _ in range(4):
        opted_in()
    with CaptureQueriesContext(connection) as eight:
        assert digests_send(now=now, force=True) == 8
    assert len(eight) == len(four) + 4  # a claim each


@pytest.mark.parametrize(("code", "again"), [(450, True), (550, False)])
def test_a_summary_refused_for_now_goes_next_hour_and_one_refused_for_good_does_not(
    three, monkeypatch, code, again
):
    """ "Try again later" (4xx) puts the summary back for the next run; a dead address
    (5xx) keeps its claim, so it is not tried every hour. Either way the others go."""
    import smtplib

    ada, bob = opted_in(), opted_in()
    real_send = digests.EmailMessage.send

    def refusing_ada(message, *args, **kwargs):
        if message.to == [ada.email]:
            raise smtplib.SMTPRecipientsRefused({ada.email: (code, b"No")})
        return real_send(message, *args, **kwargs)

    monkeypatch.setattr(digests.EmailMessage, "send", refusing_ada)
    assert digests_send(now=MONDAY) == 1  # bob's
    monkeypatch.undo()
    assert digests_send(now=MONDAY + timedelta(hours=1)) == (1 if again else 0)
    assert [message.to for message in mail.outbox] == [[bob.email]] + [[ada.email]] * again


def test_an_address_the_mail_server_refuses_is_not_written_to_the_log(three, monkeypatch):
    """smtplib's error, and the server's words in it, name the address: the log says
    which learner and what kind of refusal, never the address."""
    import logging
    import smtplib

    ada = opted_in(email="jane.private@example.org")

    def refused(*args, **kwargs):
        reply = (550, b"5.1.1 <jane.private@example.org>: Recipient address rejected")
        raise smtplib.SMTPRecipientsRefused({"jane.private@example.org": reply})

    lines = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(logging.Formatter().format(record))
    logger = logging.getLogger("activity.digests")
    logger.addHandler(handler)
    monkeypatch.setattr(digests.EmailMessage, "send", refused)
    try:
        assert digests_send(now=MONDAY) == 0
    finally:
        logger.removeHandler(handler)
    assert len(lines) == 1 and f"user {ada.pk}" in lines[0]
    assert "SMTPRecipientsRefused" in lines[0] and "jane.private" not in lines[0]


def test_one_learners_trouble_does_not_stop_the_others(three):
    broken = opted_in()
    User.objects.filter(pk=broken.pk).update(time_zone="Mars/Olympus_Mons")
    ada = opted_in()
    assert digests_send(now=MONDAY) == 1
    assert [message.to for message in mail.outbox] == [[ada.email]]


def test_one_click_unsubscribes_without_logging_in_and_a_tampered_link_is_refused(three):
    ada = opted_in()
    client = Client(enforce_csrf_checks=True)
    url = f"/activity/unsubscribe/{unsubscribe_token(ada)}/"
    assert "Unsubscribe" in client.get(url).content.decode()
    token = unsubscribe_token(ada)
    other = signing.dumps(ada.pk + 1, salt="another purpose")  # signed, for something else
    forged = token.rsplit(":", 1)[0] + ":" + "A" * len(token.rsplit(":", 1)[1])
    for bad in (forged, other, token[:-1]):
        tampered = client.post(f"/activity/unsubscribe/{bad}/")
        assert tampered.status_code == 400, bad
    ada.refresh_from_db()
    assert ada.weekly_email
    response = client.post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and "You are unsubscribed" in response.content.decode()
    ada.refresh_from_db()
    assert not ada.weekly_email
    assert digests_send(now=MONDAY) == 0
    again = client.post(url, {"List-Unsubscribe": "One-Click"})  # a second click: the same
    assert again.status_code == 200 and "You are unsubscribed" in again.content.decode()
    ada.refresh_from_db()
    assert not ada.weekly_email


@pytest.mark.parametrize("gone", ["deactivated", "deleted"])
def test_an_unsubscribe_link_of_a_learner_gone_still_answers_unsubscribed(three, gone):
    """Deactivated, the learner is unsubscribed all the same (should the account come
    back, no summary resumes); deleted, there is nothing to send: a mail client is told
    it worked, not that the link is bad."""
    ada = opted_in()
    url = f"/activity/unsubscribe/{unsubscribe_token(ada)}/"
    if gone == "deleted":
        ada.delete()
    else:
        User.objects.filter(pk=ada.pk).update(is_active=False)
    response = Client(enforce_csrf_checks=True).post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and "You are unsubscribed" in response.content.decode()
    assert not User.objects.filter(weekly_email=True).exists()


def test_the_jobs_are_on_the_runner_and_a_worker_runs_what_is_due(db):
    from procrastinate.contrib.django import app

    periodic = {task.periodic_id for task in app.periodic_registry.periodic_tasks.values()}
    assert {"send_digests", "check_links", "prune_sessions"} <= periodic


@pytest.mark.parametrize("late_by_hours", [0.5, 30, 24 * 6])
def test_a_worker_started_after_an_outage_defers_each_job_due_meanwhile(db, late_by_hours):
    """README: "With none running nothing is lost: what is due is deferred and run when
    one starts." The weekly link check (Mondays 03:00 UTC) missed by more than 10
    minutes, procrastinate's default, waited for the next week."""
    from datetime import UTC, datetime, timedelta

    from procrastinate import periodic
    from procrastinate.contrib.django import app

    deferrer = periodic.PeriodicDeferrer(registry=app.periodic_registry, **app.periodic_defaults)
    monday = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)  # a Monday, the link check's time
    started = (monday + timedelta(hours=late_by_hours)).timestamp()
    due = {task.periodic_id for task, _when in deferrer.get_previous_tasks(at=started)}
    assert {"check_links", "prune_sessions", "refresh_insights", "send_digests"} <= due


@pytest.mark.django_db(transaction=True)
def test_a_worker_started_the_readmes_way_runs_a_deferred_summary_job(three):
    from procrastinate.contrib.django.models import ProcrastinateJob

    from activity.tasks import send_digests

    opted_in()
    job = send_digests.defer(timestamp=0)
    # scripts/worker, once through what is queued (on this test's database).
    url = urlsplit(os.environ["DATABASE_URL"])
    database = connection.settings_dict["NAME"]
    env = {**os.environ, "DATABASE_URL": urlunsplit(url._replace(path=f"/{database}"))}
    command = [sys.executable, "manage.py", "procrastinate", "worker", "--one-shot"]
    subprocess.run(command, env=env, check=True, timeout=60, capture_output=True)
    assert ProcrastinateJob.objects.get(pk=job).status == "succeeded"


def test_the_rhythm_is_read_in_two_queries(three, django_assert_num_queries):
    """The learner's history, and the joins that moved states (WorkJoin.objects.now_as)."""
    ada = UserFactory()
    for resource in three:
        progress_set(user=ada, resource=resource, done=True)
    with django_assert_num_queries(2):
        assert rhythm_of(ada).current_streak == 1


@pytest.mark.django_db(transaction=True)  # each request its own transaction, as served
def test_a_visitors_ticks_are_recorded_when_kept_at_sign_up_dated_when_they_were_made(
    three, client
):
    """Kept at sign-up, each recorded when the visitor set it, in the new account's zone:
    a tick of three days ago is on that day, not on the day they signed up."""
    from roadmap.models import VisitorProgress

    started = datetime.now(UTC)
    for resource in three[:2]:
        client.post(f"/resources/{resource.public_id}/progress", {"done": "1"})
    assert not Event.objects.exists()  # a visitor has no history
    days_ago = datetime.now(UTC) - timedelta(days=3)
    VisitorProgress.objects.filter(work=three[0].work).update(completed_at=days_ago)
    client.post(
        "/accounts/signup/",
        {
            "username": "grace",
            "email": "grace@example.com",
            "password1": "a long enough passphrase",
            "time_zone": "Pacific/Kiritimati",
        },
    )

    grace = User.objects.get(username="grace")
    kept = {event.work_id: event for event in Event.objects.filter(user=grace)}
    assert sorted(kept) == sorted(r.work_id for r in three[:2])
    assert kept[three[0].work_id].at == days_ago
    assert started <= kept[three[1].work_id].at <= datetime.now(UTC)
    for event in kept.values():
        assert event.day == event.at.astimezone(ZoneInfo("Pacific/Kiritimati")).date()
    active = rhythm_of(grace).active
    assert sorted(day for day, count in active.items() if count) == sorted(
        event.day for event in kept.values()
    )


@pytest.mark.parametrize(
    "body,content_type",
    [("", "application/x-www-form-urlencoded"), ("{}", "application/json"), ("hi", "text/plain")],
)
def test_a_post_that_is_not_the_profiles_form_changes_nothing(client, learner, body, content_type):
    learner.display_name, learner.weekly_goal, learner.weekly_email = "Ada", 5, True
    learner.save()
    client.force_login(learner)
    answer = client.post("/me/profile/", body, content_type=content_type)
    assert answer.status_code == 400
    learner.refresh_from_db()
    assert (learner.display_name, learner.weekly_goal, learner.weekly_email) == ("Ada", 5, True)


@pytest.mark.parametrize("name", ["Ada\u202ex", "Ada\x01", "\u2067Ada", "Ada\u200f"])
def test_a_name_that_would_turn_or_break_the_headline_is_refused(client, learner, name):
    """The share page's headline ("Ada is 20% through …") reads as written."""
    client.force_login(learner)
    data = {"display_name": name, "time_zone": "UTC", "weekly_goal": ""}
    answer = client.post("/me/profile/", data)
    assert answer.status_code == 200
    assert "marks that change the direction" in answer.content.decode()
    learner.refresh_from_db()
    assert learner.display_name == ""
    assert client.post("/me/profile/", data | {"display_name": "أدا لوفليس"}).status_code == 302


def test_the_profile_says_the_summary_needs_a_verified_address(client, learner):
    client.force_login(learner)
    html = client.get("/me/profile/").content.decode()
    assert "The weekly summary goes only to a verified address" in html
    assert 'href="/accounts/email/"' in html
    EmailAddress.objects.create(user=learner, email=learner.email, verified=True, primary=True)
    assert "goes only to a verified address" not in client.get("/me/profile/").content.decode()


def test_the_history_is_replayed_in_the_order_it_was_written(three):
    """A state kept from a visitor is dated when the visitor set it, earlier than changes
    the account made since: what stands is the last written, as the learner's row says."""
    from roadmap.progress import Row
    from roadmap.services import progress_merge

    ada = UserFactory()
    progress_set(user=ada, resource=three[0], done=True)
    progress_set(user=ada, resource=three[0], done=False)
    days_ago = (datetime.now(UTC) - timedelta(days=3)).timestamp()
    progress_merge(user=ada, rows={three[0].work_id: Row("done", days_ago)})
    assert Progress.objects.get(user=ada).state == "done"
    assert three[0].work_id in rhythm_of(ada).completed
