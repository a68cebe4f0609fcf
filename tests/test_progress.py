"""Ticking resources off: the progress POST, its rules, and the percentages it moves."""

import re
import threading

import pytest
from django.db import connection
from django.test import Client

from roadmap.models import Part, Progress, Resource, Roadmap
from tests.factories import (
    PartFactory,
    ResourceFactory,
    TopicFactory,
    UserFactory,
    build_roadmap,
)
from tests.progress_helpers import (
    ROADMAP,
    SHARED_MISS,
    at_once,
    bars,
    queries_cold_and_warm,
    tick,
    ticked,
)


@pytest.fixture
def roadmap(db):
    """Part A: topic X with 3 resources, topic Y with 1. Part B: topic Z with 1."""
    part_a = PartFactory(title="Part A")
    part_b = PartFactory(title="Part B", roadmap=part_a.roadmap)
    x, y = TopicFactory(part=part_a, title="Topic X"), TopicFactory(part=part_a, title="Topic Y")
    z = TopicFactory(part=part_b, title="Topic Z")
    resources = {
        "x1": ResourceFactory(topic=x, title="X one"),
        "x2": ResourceFactory(topic=x, title="X two"),
        "x3": ResourceFactory(topic=x, title="X three"),
        "y1": ResourceFactory(topic=y, title="Y one"),
        "z1": ResourceFactory(topic=z, title="Z one"),
    }
    return {"part_a": part_a, "part_b": part_b, "x": x, "y": y, "z": z, **resources}


@pytest.fixture
def learner_client(client, learner):
    client.force_login(learner)
    return client


def test_htmx_tick_returns_the_row_and_every_affected_bar(learner_client, roadmap):
    response = tick(learner_client, roadmap["x1"], done=True, htmx=True)
    assert response.status_code == 200
    html = response.content.decode()
    x, part_a = roadmap["x"], roadmap["part_a"]
    # 1 of 3 in the topic, 1 of 4 in the part, 1 of 5 overall: rounded down.
    assert bars(html) == {f"topic-{x.pk}": 33, f"part-{part_a.pk}": 25, "overall": 20}
    assert html.count('hx-swap-oob="true"') == 4  # three bars and the navigation's percentage
    assert ticked(html) == {str(roadmap["x1"].public_id)}
    assert '<span class="nav-percent">20%</span>' in html
    assert 'id="progress-announcer" hx-swap-oob="innerHTML">X one marked as done.' in html


def test_plain_post_redirects_back_to_the_resource_and_the_page_shows_it(learner_client, roadmap):
    response = tick(learner_client, roadmap["y1"], done=True)
    assert response.status_code == 302
    assert response["Location"] == f"{ROADMAP}#resource-{roadmap['y1'].public_id}"
    html = learner_client.get(ROADMAP).content.decode()
    assert ticked(html) == {str(roadmap["y1"].public_id)}
    assert "Y one marked as done." in html
    assert bars(html)["overall"] == 20


@pytest.mark.parametrize(
    ("came_from", "back"),
    [
        ("http://testserver/search/?q=one", "http://testserver/search/?q=one"),
        (f"http://testserver{ROADMAP}?kind=book#part-a", f"http://testserver{ROADMAP}?kind=book"),
        ("https://elsewhere.example/page", ROADMAP),  # not this site: its roadmap's page
        ("javascript:alert(1)", ROADMAP),
        ("http://testserver/resources/{id}/progress", ROADMAP),  # this POST's own address
        ("", ROADMAP),
    ],
)
def test_plain_post_goes_back_to_the_page_it_was_sent_from(
    learner_client, roadmap, came_from, back
):
    """Without JavaScript, a tick on search results or a filtered roadmap comes back to
    them, at the resource's row."""
    resource = roadmap["y1"]
    response = learner_client.post(
        f"/resources/{resource.public_id}/progress",
        {"done": "1"},
        headers={"Referer": came_from.format(id=resource.public_id)},
    )
    assert response.status_code == 302
    assert response["Location"] == f"{back}#resource-{resource.public_id}"


def test_a_tick_whose_resource_stopped_counting_meanwhile_brings_the_page_back_as_it_is(
    client, roadmap, monkeypatch
):
    """A visitor's tick counted against content a curator has just changed, in which the
    resource no longer counts: the row it would answer is gone, so the page comes back
    (htmx: refreshed; without JavaScript: the page it was sent from), saying what was
    kept."""
    from roadmap import views
    from roadmap.content import content_at, content_version
    from roadmap.progress import Standing

    resource = roadmap["y1"]
    written = views.visitor_progress_set

    def archived_meanwhile(**kwargs):
        standing = written(**kwargs)
        Resource.objects.filter(pk=resource.pk).update(status=Resource.Status.ARCHIVED)
        now = content_at(content_version())
        return Standing(now, standing.progress, now.version)

    monkeypatch.setattr(views, "visitor_progress_set", archived_meanwhile)
    path = f"/resources/{resource.public_id}/progress"
    answer = client.post(path, {"done": "1"}, headers={"HX-Request": "true"})
    assert answer.status_code == 200 and answer["HX-Refresh"] == "true"
    Resource.objects.filter(pk=resource.pk).update(status=Resource.Status.PUBLISHED)
    came_from = f"http://testserver{ROADMAP}?kind=book"
    answer = client.post(path, {"done": "1"}, headers={"Referer": came_from})
    assert answer.status_code == 302 and answer["Location"] == f"{came_from}#{resource.anchor}"
    assert "Y one marked as done." in client.get(ROADMAP).content.decode()


def test_unticking_removes_the_tick(learner_client, learner, roadmap):
    tick(learner_client, roadmap["x1"], done=True)
    tick(learner_client, roadmap["x1"], done=False)
    assert not Progress.objects.filter(user=learner).exists()
    assert ticked(learner_client.get(ROADMAP).content.decode()) == set()


def test_posting_the_same_state_twice_keeps_it(learner_client, learner, roadmap):
    tick(learner_client, roadmap["x1"], done=True)
    first = Progress.objects.get(user=learner)
    tick(learner_client, roadmap["x1"], done=True, htmx=True)
    assert list(Progress.objects.filter(user=learner)) == [first]
    assert Progress.objects.get(user=learner).completed_at == first.completed_at
    tick(learner_client, roadmap["x1"], done=False)
    tick(learner_client, roadmap["x1"], done=False)
    assert not Progress.objects.filter(user=learner).exists()


def test_learners_never_see_or_change_each_others_progress(client, roadmap):
    ada, bob = UserFactory(username="ada"), UserFactory(username="bob")
    client.force_login(ada)
    tick(client, roadmap["x1"], done=True)
    tick(client, roadmap["z1"], done=True)
    client.force_login(bob)
    html = client.get(ROADMAP).content.decode()
    assert ticked(html) == set()
    assert bars(html)["overall"] == 0
    assert "0%" in client.get("/me/").content.decode()
    tick(client, roadmap["x1"], done=False)  # Bob unticking touches only Bob's state
    assert Progress.objects.filter(user=ada).count() == 2


def test_a_post_without_csrf_token_is_rejected(learner, roadmap):
    client = Client(enforce_csrf_checks=True)
    client.force_login(learner)
    response = tick(client, roadmap["x1"], done=True)
    assert response.status_code == 403
    assert not Progress.objects.exists()


@pytest.mark.parametrize("data", [{}, {"done": "yes"}, {"done": ""}, {"done": "2"}])
def test_a_post_without_a_clear_desired_state_is_refused(learner_client, roadmap, data):
    tick(learner_client, roadmap["x1"], done=True)
    response = learner_client.post(f"/resources/{roadmap['x1'].public_id}/progress", data)
    assert response.status_code == 400
    assert Progress.objects.count() == 1


def test_unknown_and_unpublished_resources_give_404(learner_client, roadmap):
    draft = ResourceFactory(topic=roadmap["x"], status=Resource.Status.DRAFT)
    archived = ResourceFactory(topic=roadmap["x"], status=Resource.Status.ARCHIVED)
    soon = PartFactory(roadmap=roadmap["part_a"].roadmap, status=Part.Status.COMING_SOON)
    draft_part = PartFactory(roadmap=roadmap["part_a"].roadmap, status=Part.Status.DRAFT)
    in_soon = ResourceFactory(topic=TopicFactory(part=soon))
    in_draft_part = ResourceFactory(topic=TopicFactory(part=draft_part))
    for resource in [draft, archived, in_soon, in_draft_part]:
        assert tick(learner_client, resource, done=True).status_code == 404
    url = "/resources/00000000-0000-4000-8000-000000000000/progress"
    assert learner_client.post(url, {"done": "1"}).status_code == 404
    assert learner_client.post("/resources/not-a-uuid/progress", {"done": "1"}).status_code == 404
    assert not Progress.objects.exists()


def test_get_on_the_progress_endpoint_is_405(learner_client, roadmap):
    response = learner_client.get(f"/resources/{roadmap['x1'].public_id}/progress")
    assert response.status_code == 405


def test_percentages_agree_between_roadmap_and_dashboard(learner_client, roadmap):
    for key in ["x1", "x2", "z1"]:
        tick(learner_client, roadmap[key], done=True)
    on_roadmap = bars(learner_client.get(ROADMAP).content.decode())
    on_dashboard = bars(learner_client.get("/me/").content.decode())
    part_a, part_b = roadmap["part_a"].pk, roadmap["part_b"].pk
    assert on_roadmap["overall"] == on_dashboard["overall"] == 60
    assert on_roadmap[f"part-{part_a}"] == on_dashboard[f"part-{part_a}"] == 50
    assert on_roadmap[f"part-{part_b}"] == on_dashboard[f"part-{part_b}"] == 100
    assert on_roadmap[f"topic-{roadmap['x'].pk}"] == 66


def test_archived_resources_leave_the_totals_and_unarchiving_restores_ticks(
    learner_client, learner, roadmap
):
    tick(learner_client, roadmap["x1"], done=True)
    tick(learner_client, roadmap["x2"], done=True)
    Resource.objects.filter(pk=roadmap["x1"].pk).update(status=Resource.Status.ARCHIVED)
    assert bars(learner_client.get(ROADMAP).content.decode())["overall"] == 25  # 1 of 4
    assert Progress.objects.filter(user=learner).count() == 2
    Resource.objects.filter(pk=roadmap["x1"].pk).update(status=Resource.Status.PUBLISHED)
    html = learner_client.get(ROADMAP).content.decode()
    assert bars(html)["overall"] == 40
    assert str(roadmap["x1"].public_id) in ticked(html)


def test_dashboard_shows_next_up_and_recently_completed(learner_client, roadmap):
    tick(learner_client, roadmap["x1"], done=True)
    tick(learner_client, roadmap["y1"], done=True)
    html = learner_client.get("/me/").content.decode()
    next_up = html[html.index("Next up") : html.index("By part")]
    assert "X two" in next_up
    recent = html[html.index("Recently completed") :]
    assert recent.index("Y one") < recent.index("X one")  # newest first
    assert "<time datetime=" in recent


def test_dashboard_lists_what_is_in_progress_newest_first(learner_client, learner, roadmap):
    from datetime import UTC, datetime

    from roadmap.services import progress_set

    html = learner_client.get("/me/").content.decode()
    assert "Nothing in progress here." in html
    for n, key in enumerate(["x2", "z1", "x1"]):
        progress_set(user=learner, resource=roadmap[key], state="in_progress")
        Progress.objects.filter(work__resources=roadmap[key]).update(
            completed_at=datetime(2026, 5, n + 1, tzinfo=UTC)
        )
    progress_set(user=learner, resource=roadmap["x3"], state="skipped")
    html = learner_client.get("/me/").content.decode()
    started = html[html.index("In progress") : html.index("Next up")]
    assert started.index("X one") < started.index("Z one") < started.index("X two")
    # Next up: the first in roadmap order neither done, skipped nor in progress.
    next_up = html[html.index("Next up") : html.index("By part")]
    assert "Y one" in next_up
    # Recently completed: done ones only, never skipped.
    recent = html[html.index("Recently completed") :]
    assert "X three" not in recent and "Nothing yet." in recent


def test_dashboard_celebrates_when_everything_is_done(learner_client, roadmap):
    for key in ["x1", "x2", "x3", "y1", "z1"]:
        tick(learner_client, roadmap[key], done=True)
    html = learner_client.get("/me/").content.decode()
    assert "You have completed every published resource" in html
    assert bars(html)["overall"] == 100


def test_dashboard_requires_login(client, db):
    response = client.get("/me/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/me/")


def test_navigation_shows_the_learners_overall_percentage(learner_client, roadmap):
    tick(learner_client, roadmap["x1"], done=True)
    tick(learner_client, roadmap["x2"], done=True)
    html = learner_client.get("/me/profile/").content.decode()
    assert '<span class="nav-percent">40%</span>' in html


@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_for_one_learner_and_resource_leave_one_row():
    resource = ResourceFactory()
    session = Client()
    session.force_login(UserFactory())

    def post() -> int:
        client = Client()
        client.cookies = session.cookies
        return tick(client, resource, done=True, htmx=True).status_code

    statuses = at_once(post, 20)
    assert statuses == [200] * 20
    assert Progress.objects.filter(work__resources=resource).count() == 1


# Reading the content snapshot: the version with each roadmap's, the roadmaps and their
# prerequisites, the parts, topics and resources
# as staff and as everyone else see them, and what counts (and, in a test's transaction,
# a savepoint and its release).
CONTENT = 12


@pytest.mark.parametrize("htmx", [True, False])
def test_progress_post_query_count_does_not_grow_with_content(learner_client, htmx):
    def queries_for_ticks(resource) -> tuple[int, int]:
        return queries_cold_and_warm(
            lambda: tick(learner_client, resource, done=True, htmx=htmx),
            lambda: tick(learner_client, resource, done=False, htmx=htmx),
        )

    small = build_roadmap(parts=1, topics_per_part=1, resources_per_topic=3)
    small_counts = queries_for_ticks(Resource.objects.filter(topic__part__roadmap=small).first())
    Progress.objects.all().delete()
    Roadmap.objects.all().delete()
    build_roadmap(parts=10, topics_per_part=5, resources_per_topic=12)
    large_counts = queries_for_ticks(Resource.objects.first())
    assert small_counts == large_counts
    cold, warm = large_counts
    # Warm: the session with its user, and the write with the learner's rows and the
    # content version, in one statement; cold, the content is read and the answer rendered too.
    assert cold <= 3 + CONTENT and warm == 2, (cold, warm)


def test_learner_roadmap_query_count_does_not_grow_with_content(learner_client, learner):
    build_roadmap(parts=1, topics_per_part=2, resources_per_topic=2)
    for resource in Resource.objects.all()[:2]:
        tick(learner_client, resource, done=True)
    small = queries_cold_and_warm(lambda: learner_client.get(ROADMAP))
    Progress.objects.all().delete()
    Roadmap.objects.all().delete()
    build_roadmap(parts=10, topics_per_part=5, resources_per_topic=11)
    Progress.objects.bulk_create(
        Progress(user=learner, work=resource.work) for resource in Resource.objects.all()[:300]
    )
    large = queries_cold_and_warm(lambda: learner_client.get(ROADMAP))
    # Cold (the content is read, the page rendered) and warm (both reused), at both sizes;
    # warm: the session with its user, the learner's rows with the content version, and
    # their notes.
    assert small == large
    assert large == (3 + CONTENT + SHARED_MISS, 3), large


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_posts_from_several_learners_end_with_exact_counts():
    topic = TopicFactory()
    resources = [ResourceFactory(topic=topic) for _ in range(5)]
    learners = [UserFactory() for _ in range(5)]
    sessions = {}
    for learner in learners:
        client = Client()
        client.force_login(learner)
        sessions[learner.pk] = client.cookies
    jobs = [(learner, resource) for learner in learners for resource in resources] * 2
    statuses: list[int] = []
    start = threading.Barrier(len(jobs), timeout=30)

    def post(learner, resource) -> None:
        client = Client()
        client.cookies = sessions[learner.pk]
        try:
            start.wait()
            statuses.append(tick(client, resource, done=True, htmx=True).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(statuses) == 50 and set(statuses) == {200}
    assert Progress.objects.count() == 25
    for learner in learners:
        assert Progress.objects.filter(user=learner).count() == 5


def test_dashboard_before_any_content_exists(client, learner):
    client.force_login(learner)
    response = client.get("/me/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "You have not started a roadmap yet." in html
    assert "progress-roadmap" not in html


def test_a_tick_counts_only_published_resources_of_the_roadmap(learner_client, learner, roadmap):
    """The htmx answer's figures come from the write's own count: an archived tick and a
    tick in a draft part stay out of them, as they stay out of the page's."""
    tick(learner_client, roadmap["x1"], done=True)
    tick(learner_client, roadmap["x2"], done=True)
    Resource.objects.filter(pk=roadmap["x2"].pk).update(status=Resource.Status.ARCHIVED)
    draft_part = PartFactory(roadmap=roadmap["part_a"].roadmap, status=Part.Status.DRAFT)
    Progress.objects.create(
        user=learner, work=ResourceFactory(topic=TopicFactory(part=draft_part)).work
    )
    html = tick(learner_client, roadmap["x3"], done=True, htmx=True).content.decode()
    x, part_a = roadmap["x"], roadmap["part_a"]
    # x1 and x3 of the 2 published in X; 2 of 3 in part A; 2 of 4 overall.
    assert bars(html) == {f"topic-{x.pk}": 100, f"part-{part_a.pk}": 66, "overall": 50}
    assert bars(html) == {
        key: value
        for key, value in bars(learner_client.get(ROADMAP).content.decode()).items()
        if key in bars(html)
    }
    html = tick(learner_client, roadmap["x3"], done=False, htmx=True).content.decode()
    assert bars(html) == {f"topic-{x.pk}": 50, f"part-{part_a.pk}": 33, "overall": 25}


def test_the_next_tick_works_with_the_pages_header_token_or_the_swapped_in_rows_own(
    learner, roadmap
):
    """htmx sends the page's token in a header, so a row needs none of its own; the row
    swapped in carries a working one all the same, as every row of the page does."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(learner)
    page = client.get(ROADMAP).content.decode()
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    headers = {"HX-Request": "true", "X-CSRFToken": token}
    url = f"/resources/{roadmap['x1'].public_id}/progress"
    first = client.post(url, {"done": ["0", "1"]}, headers=headers)
    assert first.status_code == 200
    assert (
        client.post(url, {"done": "0", "csrfmiddlewaretoken": ""}, headers=headers).status_code
        == 200
    )
    assert not Progress.objects.filter(user=learner).exists()
    rows_own = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', first.content.decode())
    answer = client.post(
        url, {"done": "1", "csrfmiddlewaretoken": rows_own[1]}, headers={"HX-Request": "true"}
    )
    assert answer.status_code == 200
    assert Progress.objects.filter(user=learner, state=Progress.State.DONE).count() == 1
    assert page.count('name="csrfmiddlewaretoken"') == 5  # every row's no-JavaScript form


def test_the_dashboard_is_each_learners_own(client, roadmap):
    """One rendering per content version for everybody: names, figures, next and recent
    resources are each learner's own."""
    ada = UserFactory(username="ada", display_name="Ada <b>L</b>")
    bob = UserFactory(username="bob")
    client.force_login(ada)
    tick(client, roadmap["x1"], done=True)
    ada_page = client.get("/me/").content.decode()
    client.force_login(bob)
    bob_page = client.get("/me/").content.decode()
    assert "Hello, Ada &lt;b&gt;L&lt;/b&gt;." in ada_page
    assert "Hello, bob." in bob_page and "Ada" not in bob_page
    assert bars(ada_page)["overall"] == 20 and bars(bob_page)["overall"] == 0
    assert "X one" in ada_page[ada_page.index("Recently completed") :]
    assert "Nothing yet." in bob_page
    next_up = bob_page[bob_page.index("Next up") : bob_page.index("By part")]
    assert "X one" in next_up


def test_a_tick_based_on_outdated_content_is_checked_against_the_content_as_it_is(
    learner_client, learner, roadmap
):
    """The progress POST looks the resource up in the content this process last read;
    the write only happens if the content is still at that version."""
    learner_client.get(ROADMAP)  # this process has now read the content
    Resource.objects.filter(pk=roadmap["x2"].pk).update(title="X two, renamed")
    response = tick(learner_client, roadmap["x1"], done=True, htmx=True)
    assert response.status_code == 200
    assert bars(response.content.decode())["overall"] == 20
    Resource.objects.filter(pk=roadmap["x3"].pk).update(status=Resource.Status.ARCHIVED)
    assert tick(learner_client, roadmap["x3"], done=True, htmx=True).status_code == 404
    assert list(
        Progress.objects.filter(user=learner).values_list("work__resources", flat=True)
    ) == [roadmap["x1"].pk]
    # ...and a resource published after this process last looked can be ticked at once.
    fresh = ResourceFactory(topic=roadmap["z"], title="Z two")
    assert tick(learner_client, fresh, done=True, htmx=True).status_code == 200


def test_a_tick_gives_up_with_503_while_the_content_keeps_changing(
    learner_client, learner, roadmap, monkeypatch
):
    """Each try writes only if the content is still at the version it was based on; a
    roadmap being edited faster than the tries can follow gets a clear answer."""
    from roadmap import services

    write = services.progress_write

    def always_outdated(**kwargs):
        Resource.objects.filter(pk=roadmap["z1"].pk).update(title=f"Z {kwargs['content'].version}")
        return write(**kwargs)

    monkeypatch.setattr(services, "progress_write", always_outdated)
    response = tick(learner_client, roadmap["x1"], done=True, htmx=True)
    assert response.status_code == 503
    assert "being edited" in response.content.decode()
    assert not Progress.objects.filter(user=learner).exists()


def test_a_waiting_message_shows_on_the_cached_pages_once(learner_client, roadmap):
    """Pages rendered once for everybody still carry each learner's own messages."""
    tick(learner_client, roadmap["x1"], done=True)  # no JavaScript: a message waits
    dashboard = learner_client.get("/me/").content.decode()
    assert "X one marked as done." in dashboard
    assert "X one marked as done." not in learner_client.get(ROADMAP).content.decode()


def test_curators_and_learners_each_get_their_own_dashboard(client, learner, curator, roadmap):
    """The dashboard is rendered once per content version for each kind of viewer: a
    draft part is listed for curators only, whoever asked first."""
    PartFactory(roadmap=roadmap["part_a"].roadmap, title="Secret draft", status=Part.Status.DRAFT)
    client.force_login(curator)
    assert "Secret draft" in client.get("/me/").content.decode()
    client.force_login(learner)
    html = client.get("/me/").content.decode()
    assert "Secret draft" not in html and "Part A" in html
    assert ">Admin<" not in html


def test_a_ticks_figures_leave_out_what_does_not_count_as_the_page_does(
    learner_client, learner, roadmap
):
    """Rows for an archived resource, a draft one, one in a part that is coming soon and
    one in another roadmap stay in the table and count nowhere, in the tick's answer as
    on the page."""
    archived = ResourceFactory(topic=roadmap["x"], status=Resource.Status.ARCHIVED)
    draft = ResourceFactory(topic=roadmap["y"], status=Resource.Status.DRAFT)
    soon = PartFactory(roadmap=roadmap["part_a"].roadmap, status=Part.Status.COMING_SOON)
    elsewhere = ResourceFactory(topic__part__roadmap__slug="elsewhere")  # another roadmap
    for resource in (archived, draft, ResourceFactory(topic=TopicFactory(part=soon)), elsewhere):
        Progress.objects.create(user=learner, work=resource.work)
    tick(learner_client, roadmap["x2"], done=True)
    answer = bars(tick(learner_client, roadmap["x1"], done=True, htmx=True).content.decode())
    page = bars(learner_client.get(ROADMAP).content.decode())
    x, part_a = roadmap["x"], roadmap["part_a"]
    # 2 of 3 in topic X, 2 of 4 in part A, 2 of 5 overall.
    assert answer == {f"topic-{x.pk}": 66, f"part-{part_a.pk}": 50, "overall": 40}
    assert {key: page[key] for key in answer} == answer


def test_the_dashboard_lists_the_five_latest_ticks_and_forgets_archived_ones(
    learner_client, learner, roadmap
):
    """Each item shows the day its resource was ticked; an archived resource leaves the
    list (and comes back with its date when unarchived)."""
    from datetime import UTC, datetime

    for n, key in enumerate(["x1", "x2", "x3", "y1", "z1"]):
        tick(learner_client, roadmap[key], done=True)
        Progress.objects.filter(user=learner, work__resources=roadmap[key]).update(
            completed_at=datetime(2026, 3, n + 1, 12, tzinfo=UTC)
        )

    def recent() -> list[tuple[str, str]]:
        html = learner_client.get("/me/").content.decode()
        listing = html[html.index("Recently completed") :]
        return re.findall(
            r'<a href="/roadmaps/deep-learning/#resource-[\w-]+">([^<]+)</a>.*?>(\d+ \w+ 2026)<',
            listing,
        )

    assert recent() == [
        ("Z one", "5 March 2026"),
        ("Y one", "4 March 2026"),
        ("X three", "3 March 2026"),
        ("X two", "2 March 2026"),
        ("X one", "1 March 2026"),
    ]
    Resource.objects.filter(pk=roadmap["y1"].pk).update(status=Resource.Status.ARCHIVED)
    assert [title for title, _ in recent()] == ["Z one", "X three", "X two", "X one"]
    Resource.objects.filter(pk=roadmap["y1"].pk).update(status=Resource.Status.PUBLISHED)
    assert ("Y one", "4 March 2026") in recent()
