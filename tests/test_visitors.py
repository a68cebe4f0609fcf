"""Ticks before signing up: a visitor's states are rows filed under their session, and
join their account when they sign up or log in."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from accounts.models import Session as StoredSession
from accounts.models import User
from roadmap.models import Progress, Resource, Roadmap, VisitorProgress
from roadmap.progress import VISITOR
from roadmap.services import progress_set
from tests.factories import (
    ResourceFactory,
    RoadmapFactory,
    UserFactory,
    resources_in_one_topic,
)
from tests.progress_helpers import HTMX, ROADMAP, bars, tick, ticked

PASSWORD = "a-long-Passphrase-42"


@pytest.fixture
def four(db):
    return resources_in_one_topic(4)


def set_state(client, resource, state, htmx=False):
    headers = HTMX if htmx else {}
    return client.post(
        f"/resources/{resource.public_id}/progress", {"state": state}, headers=headers
    )


def visitor_rows(client) -> dict:
    """The visitor's rows: {work id: [state, completed_at]}."""
    rows = VisitorProgress.objects.filter(visitor=client.session.get(VISITOR, ""))
    return {str(row.work_id): [row.state, row.completed_at] for row in rows}


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


def test_a_visitor_keeps_one_state_per_work(client, four):
    for state in ("in_progress", "done", "skipped", "done"):
        set_state(client, four[0], state)
    set_state(client, four[1], "in_progress")
    set_state(client, four[1], "not_started")
    assert list(visitor_rows(client)) == [str(four[0].work_id)]
    # A resource that stops counting can no longer be ticked; its state is kept.
    set_state(client, four[2], "done")
    Resource.objects.filter(pk=four[2].pk).update(status=Resource.Status.ARCHIVED)
    set_state(client, four[3], "done")
    assert set(visitor_rows(client)) == {str(w.work_id) for w in (four[0], four[2], four[3])}
    assert client.post(f"/resources/{four[2].public_id}/progress", {"done": "1"}).status_code == 404
    Resource.objects.filter(pk=four[2].pk).update(status=Resource.Status.PUBLISHED)
    assert str(four[2].public_id) in ticked(client.get(ROADMAP).content.decode())


def test_a_visitors_states_in_a_roadmap_back_to_draft_come_back_with_it(client, four):
    """As a learner's do: a tick elsewhere meanwhile drops nothing."""
    elsewhere = RoadmapFactory(slug="elsewhere", title="Elsewhere", order=2)
    other = [ResourceFactory(topic__part__roadmap=elsewhere)]
    tick(client, four[0], done=True)
    set_state(client, four[1], "skipped")
    roadmap = four[0].topic.part.roadmap
    Roadmap.objects.filter(pk=roadmap.pk).update(status=Roadmap.Status.DRAFT)
    tick(client, other[0], done=True)
    Roadmap.objects.filter(pk=roadmap.pk).update(status=Roadmap.Status.PUBLISHED)
    page = client.get(ROADMAP).content.decode()
    assert ticked(page) == {str(four[0].public_id)} and bars(page)["overall"] == 50


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
        ann_select = re.search(rf'id="state-{four[1].public_id}"[^>]*>(<option[^>]*>)', ann_page)
        assert ann_select[1] == '<option value="not_started" selected>'
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
    assert VISITOR not in client.session
    assert not VisitorProgress.objects.exists()


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
    early = datetime(2026, 3, 1, tzinfo=UTC)  # the visitor had completed it first
    VisitorProgress.objects.filter(work=four[1].work_id).update(completed_at=early)
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


@pytest.mark.django_db(transaction=True)
def test_a_visitors_concurrent_ticks_are_all_kept(live_server, four):
    """Two tabs, or quick saves without JavaScript: eight ticks at once in one session,
    none lost (states kept in the session's data were saved whole, the last winning)."""
    import threading

    from tests.test_concurrent_learners import Person

    more = [*four, *resources_in_one_topic(4, title="S")]
    visitor = Person(live_server.url)
    visitor.get(ROADMAP)
    visitor.token = next(c.value for c in visitor.jar if c.name == "csrftoken")
    visitor.post(f"/resources/{more[0].public_id}/progress", {"state": "in_progress"})
    barrier = threading.Barrier(len(more))

    def tick_one(resource) -> None:
        barrier.wait()
        visitor.post(f"/resources/{resource.public_id}/progress", {"done": "1"})

    threads = [threading.Thread(target=tick_one, args=(r,)) for r in more]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert ticked(visitor.get(ROADMAP)) == {str(r.public_id) for r in more}


def test_a_visitor_session_is_made_only_for_a_state_worth_keeping(four):
    from django.test import Client

    from accounts.models import Session

    client = Client()
    client.get(ROADMAP)
    for data in ({"state": "not_started"}, {"done": "0"}, {"state": "bogus"}):
        client.post(f"/resources/{four[0].public_id}/progress", data)
    client.post("/resources/00000000-0000-0000-0000-000000000000/progress", {"done": "1"})
    assert not Session.objects.exists()
    tick(client, four[0], done=True)
    assert Session.objects.count() == 1
    tick(client, four[1], done=True)
    assert Session.objects.count() == 1 and VisitorProgress.objects.count() == 2


def test_a_visitors_writes_are_limited_per_address(client, four, settings):
    """Past the limit a visitor's write is a 429 that says so (in place with htmx: the
    page's alert region), and nothing is kept; another address has its own allowance."""
    settings.ACCOUNT_RATE_LIMITS = {"visitor_write": "3/m/ip"}
    for resource in four[:3]:
        assert tick(client, resource, done=True, htmx=True).status_code == 200
    refused = tick(client, four[3], done=True, htmx=True)
    assert refused.status_code == 429
    assert refused["HX-Retarget"] == "#page-alert" and refused["HX-Reswap"] == "innerHTML"
    assert (
        "Nothing was saved: please wait a while before trying again, or log in or sign up:"
        " a learner's changes are not limited this way." in refused.content.decode()
    )
    page = tick(client, four[3], done=True)
    assert page.status_code == 429 and "<h1>Too many attempts</h1>" in page.content.decode()
    assert str(four[3].work_id) not in visitor_rows(client)
    elsewhere = client.post(
        f"/resources/{four[3].public_id}/progress", {"done": "1"}, REMOTE_ADDR="10.1.2.3"
    )
    assert elsewhere.status_code == 302


def test_the_visitors_sessions_one_address_makes_are_limited(four, settings):
    """What grows the session table is new visitors: their sessions are counted per
    address; a visitor who has one goes on ticking within the writes' own limit."""
    from django.test import Client

    from accounts.models import Session

    settings.ACCOUNT_RATE_LIMITS = {"visitor_session": "2/h/ip"}
    first, second, third = Client(), Client(), Client()
    assert tick(first, four[0], done=True).status_code == 302
    assert tick(second, four[0], done=True).status_code == 302
    refused = tick(third, four[0], done=True)
    assert refused.status_code == 429 and Session.objects.count() == 2
    assert tick(first, four[1], done=True).status_code == 302  # has its session already
    assert VisitorProgress.objects.count() == 3


def test_expired_sessions_go_with_their_visitors_states(client, four):
    from io import StringIO

    from django.core.management import call_command

    tick(client, four[0], done=True)
    keeps = session_with_a_tick(four[1])
    StoredSession.objects.exclude(session_key=keeps).update(
        expire_date=datetime.now(UTC) - timedelta(seconds=1)
    )
    out = StringIO()
    call_command("prune_sessions", stdout=out)
    assert "1 visitors' states" in out.getvalue()
    assert list(StoredSession.objects.values_list("session_key", flat=True)) == [keeps]
    assert list(VisitorProgress.objects.values_list("visitor", flat=True)) == [keeps]


def session_with_a_tick(resource) -> str:
    """Another visitor's session, with a state kept."""
    from django.test import Client

    other = Client()
    tick(other, resource, done=True)
    return other.session.session_key


def test_a_visitor_who_keeps_ticking_keeps_their_session(client, four):
    """Each tick saves the session again, so it expires two weeks after the last tick,
    not the first, and the rows under it stay as long."""
    tick(client, four[0], done=True)
    soon = datetime.now(UTC) + timedelta(days=1)
    StoredSession.objects.update(expire_date=soon)
    tick(client, four[1], done=True)
    assert StoredSession.objects.get().expire_date > soon + timedelta(days=10)
