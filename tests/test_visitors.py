"""Ticks before signing up: a visitor's states live in their session (server-side) and
join their account when they sign up or log in."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from accounts.models import Session as StoredSession
from accounts.models import User
from roadmap.models import Progress, Resource
from roadmap.progress import VISITOR_ROWS
from roadmap.services import progress_set
from tests.factories import (
    UserFactory,
    resources_in_one_topic,
)
from tests.progress_helpers import ROADMAP, bars, tick, ticked

PASSWORD = "a-long-Passphrase-42"
HTMX = {"HX-Request": "true"}


@pytest.fixture
def four(db):
    return resources_in_one_topic(4)


def set_state(client, resource, state, htmx=False):
    headers = HTMX if htmx else {}
    return client.post(
        f"/resources/{resource.public_id}/progress", {"state": state}, headers=headers
    )


def visitor_rows(client) -> dict:
    return client.session.get(VISITOR_ROWS, {})


def test_a_visitor_sees_the_controls_and_a_notice(client, four):
    page = client.get(ROADMAP).content.decode()
    assert page.count("Mark R") == 4 and page.count("Status of R") == 4
    assert "your progress lives in this browser until you" in page
    assert bars(page)["overall"] == 0
    assert 'id="nav-progress" href="/accounts/signup/"' in page


def test_a_visitor_ticks_in_place_and_without_javascript(client, four):
    answer = tick(client, four[0], done=True, htmx=True)
    html = answer.content.decode()
    assert answer.status_code == 200 and str(four[0].public_id) in ticked(html)
    assert bars(html)["overall"] == 25
    assert re.search(r'name="csrfmiddlewaretoken" value="[^"]+"', html)  # no header for them
    assert "R0 marked as done. Overall progress 25%." in html
    response = set_state(client, four[1], "skipped")  # without JavaScript
    assert response.status_code == 302 and response["Location"] == f"{ROADMAP}#{four[1].anchor}"
    page = client.get(ROADMAP).content.decode()
    assert ticked(page) == {str(four[0].public_id)} and bars(page)["overall"] == 50
    assert '<span class="nav-percent">50%</span>' in page
    assert "R1 marked as skipped." in page
    assert not Progress.objects.exists()  # nothing in anybody's account


def test_a_visitors_session_holds_one_state_per_counted_resource(client, four):
    for state in ("in_progress", "done", "skipped", "done"):
        set_state(client, four[0], state)
    set_state(client, four[1], "in_progress")
    set_state(client, four[1], "not_started")
    assert list(visitor_rows(client)) == [str(four[0].work_id)]
    # A resource that stops counting leaves the session at the next tick.
    set_state(client, four[2], "done")
    Resource.objects.filter(pk=four[2].pk).update(status=Resource.Status.ARCHIVED)
    set_state(client, four[3], "done")
    assert set(visitor_rows(client)) == {str(four[0].work_id), str(four[3].work_id)}
    assert client.post(f"/resources/{four[2].public_id}/progress", {"done": "1"}).status_code == 404


def test_a_visitors_completion_date_is_kept_between_done_and_skipped(client, four):
    set_state(client, four[0], "done")
    first = visitor_rows(client)[str(four[0].work_id)][1]
    set_state(client, four[0], "done")  # a second click
    assert visitor_rows(client)[str(four[0].work_id)] == ["done", first]
    set_state(client, four[0], "skipped")
    assert visitor_rows(client)[str(four[0].work_id)] == ["skipped", first]
    set_state(client, four[0], "in_progress")
    started = visitor_rows(client)[str(four[0].work_id)][1]
    assert started >= first
    set_state(client, four[0], "done")
    assert visitor_rows(client)[str(four[0].work_id)][1] >= started


def test_two_visitors_see_only_their_own(four):
    from django.test import Client

    ann, ben = Client(), Client()
    tick(ann, four[0], done=True)
    set_state(ben, four[1], "skipped")
    for _ in range(2):  # the second time from the renderings both pages are kept in
        ann_page, ben_page = ann.get(ROADMAP).content.decode(), ben.get(ROADMAP).content.decode()
        assert ticked(ann_page) == {str(four[0].public_id)} and ticked(ben_page) == set()
        ann_select = f'id="state-{four[1].public_id}"><option value="not_started" selected>'
        assert ann_select in ann_page
        assert bars(ann_page)["overall"] == 25 and bars(ben_page)["overall"] == 25


def test_a_visitor_on_a_share_page_sees_their_own_figure_in_the_navigation(client, four):
    from roadmap.services import share_link_enable

    owner = UserFactory()
    for resource in four[:3]:
        progress_set(user=owner, resource=resource, done=True)
    token = share_link_enable(user=owner).token
    page = client.get(f"/p/{token}/").content.decode()
    assert bars(page)["overall"] == 75  # the owner's
    assert '<span class="nav-percent">0%</span>' in page  # the visitor's own
    tick(client, four[3], done=True)
    page = client.get(f"/p/{token}/").content.decode()
    assert '<span class="nav-percent">25%</span>' in page


@pytest.mark.parametrize(
    "data", [{"state": "finished"}, {"done": "yes"}, {"was": "nope", "state": "done"}, {}]
)
def test_a_visitors_bad_input_is_refused_and_changes_nothing(client, four, data):
    set_state(client, four[0], "skipped")
    before = visitor_rows(client)
    response = client.post(f"/resources/{four[0].public_id}/progress", data)
    assert response.status_code == 400
    assert visitor_rows(client) == before


def test_signing_up_keeps_every_tick(client, four):
    tick(client, four[0], done=True)
    set_state(client, four[1], "in_progress")
    response = client.post(
        "/accounts/signup/", {"username": "ada", "email": "ada@example.com", "password1": PASSWORD}
    )
    assert response.status_code == 302
    ada = User.objects.get(username="ada")
    assert dict(Progress.objects.filter(user=ada).values_list("work__resources", "state")) == {
        four[0].pk: "done",
        four[1].pk: "in_progress",
    }
    page = client.get("/me/").content.decode()
    assert "Your progress from this browser is in your account now: 2 kept." in page
    assert VISITOR_ROWS not in client.session


def test_logging_in_merges_into_an_account_that_has_progress(client, four):
    ada = UserFactory(username="ada", password=PASSWORD)
    progress_set(user=ada, resource=four[0], state="in_progress")  # the account's wins
    progress_set(user=ada, resource=four[1], state="done")
    Progress.objects.filter(user=ada, work__resources=four[1]).update(
        completed_at=datetime(2026, 6, 1, tzinfo=UTC)
    )
    set_state(client, four[0], "done")
    set_state(client, four[1], "skipped")  # earlier than the account's? No: later
    set_state(client, four[2], "skipped")  # new to the account
    session = client.session
    rows = session[VISITOR_ROWS]
    early = datetime(2026, 3, 1, tzinfo=UTC).timestamp()
    rows[str(four[1].work_id)][1] = early  # the visitor had completed it first
    session[VISITOR_ROWS] = rows
    session.save()
    response = client.post("/accounts/login/", {"login": "ada", "password": PASSWORD})
    assert response.status_code == 302
    mine = {row.work.resources.get().pk: row for row in Progress.objects.filter(user=ada)}
    assert {pk: row.state for pk, row in mine.items()} == {
        four[0].pk: "in_progress",
        four[1].pk: "done",
        four[2].pk: "skipped",
    }
    assert mine[four[1].pk].completed_at == datetime(2026, 3, 1, tzinfo=UTC)  # the earliest
    page = client.get("/me/").content.decode()
    assert "in your account now: 1 kept." in page
    assert "Where your account had a state already (2), it kept its own." in page


def test_a_visitor_whose_session_expired_loses_only_their_own_ticks(client, four):
    ada = UserFactory(username="ada", password=PASSWORD)
    progress_set(user=ada, resource=four[3], done=True)
    tick(client, four[0], done=True)
    StoredSession.objects.update(expire_date=datetime.now(UTC) - timedelta(seconds=1))
    page = client.get(ROADMAP).content.decode()
    assert ticked(page) == set()
    client.post("/accounts/login/", {"login": "ada", "password": PASSWORD})
    assert list(Progress.objects.filter(user=ada).values_list("work__resources", flat=True)) == [
        four[3].pk
    ]
