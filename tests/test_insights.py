"""A roadmap's insights in admin: per resource in progress, done, skipped, skip rate and
median days from started to done; how many learners got at least as far as each part;
over a date range; as a page and as CSV. Checked against figures counted by hand."""

import csv
import io
import re
from datetime import UTC, datetime

import pytest

from activity.models import Event
from curation.insights import insights_refresh
from roadmap.models import Progress
from tests.factories import (
    CuratorFactory,
    PartFactory,
    ResourceFactory,
    RoadmapFactory,
    TopicFactory,
    UserFactory,
)


def at(day: str, hour: int = 0) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def history(user, resource, *steps) -> None:
    """The learner's moves on `resource`, each (state, when), as they happened then."""
    for state, when in steps:
        Progress.objects.update_or_create(
            user=user, work=resource.work, defaults={"state": state, "completed_at": when}
        )
        Event.objects.filter(pk=Event.objects.filter(user=user).latest("id").pk).update(at=when)


@pytest.fixture
def roadmap(db):
    """Hand-counted: A, B in part one; C in part two; part three is coming soon."""
    roadmap = RoadmapFactory(slug="figures", title="Figures")
    one = TopicFactory(part=PartFactory(roadmap=roadmap, title="One"), title="T1")
    two = TopicFactory(part=PartFactory(roadmap=roadmap, title="Two"), title="T2")
    PartFactory(roadmap=roadmap, title="Three", status="coming_soon")
    a, b = ResourceFactory(topic=one, title="A"), ResourceFactory(topic=one, title="B")
    c = ResourceFactory(topic=two, title="C")
    u1, u2, u3, u4, u5, u6 = (UserFactory() for _ in range(6))
    history(u1, a, ("in_progress", at("2026-01-01")), ("done", at("2026-01-04", 12)))  # 3.5 d
    history(u1, b, ("in_progress", at("2026-01-05")))
    history(u2, a, ("in_progress", at("2026-01-02")), ("done", at("2026-01-03")))  # 1 d
    history(u2, c, ("skipped", at("2026-02-10")))
    history(u3, a, ("skipped", at("2026-01-10")))
    history(u3, b, ("done", at("2026-01-11")))  # never started: no duration
    history(u4, a, ("in_progress", at("2026-01-01")), ("done", at("2026-01-11")))  # 10 d
    history(u4, c, ("in_progress", at("2026-02-01")), ("done", at("2026-02-02")))  # 1 d
    history(u5, a, ("in_progress", at("2026-03-01")))
    history(u6, c, ("in_progress", at("2026-02-01")), ("done", at("2026-02-05")))  # 4 d
    # Someone else's roadmap: none of it counts here.
    ResourceFactory(topic=TopicFactory(part__roadmap=RoadmapFactory(slug="other")))
    insights_refresh()
    return roadmap


@pytest.fixture
def curator(client, db):
    curator = CuratorFactory()
    client.force_login(curator)
    return curator


def table(client, roadmap, query: str = "") -> dict:
    answer = client.get(f"/admin/curation/insights/{roadmap.pk}/figures/?format=csv&{query}")
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.content.decode())))
    blank = rows.index([])
    resources = {row[2]: row[4:] for row in rows[1:blank]}
    parts = {row[0]: int(row[1]) for row in rows[blank + 2 :]}
    return {"resources": resources, "parts": parts}


def test_figures_over_all_time(client, roadmap, curator):
    found = table(client, roadmap)
    # In progress, done, skipped, skip rate, median days to done.
    assert found["resources"] == {
        "A": ["1", "3", "1", "20", "3"],  # durations 3, 1, 10
        "B": ["1", "1", "0", "0", ""],
        "C": ["0", "2", "1", "33", "2.5"],  # durations 1, 4
    }
    # Who got at least that far (u6 went straight to part two); coming soon: not in it.
    assert found["parts"] == {"One": 6, "Two": 3}


def test_figures_within_a_date_range(client, roadmap, curator):
    found = table(client, roadmap, "start=2026-01-01&end=2026-01-31")
    assert found["resources"] == {
        "A": ["0", "3", "1", "25", "3"],
        "B": ["1", "1", "0", "0", ""],
        "C": ["0", "0", "0", "", ""],
    }
    # Those who started in January (u1 to u4), however far they got since.
    assert found["parts"] == {"One": 4, "Two": 2}
    assert table(client, roadmap, "start=2026-02-05")["resources"]["C"] == [
        "0",
        "1",
        "1",
        "50",
        "4",
    ]


def test_the_page_shows_the_figures_as_text_beside_the_bars(client, roadmap, curator):
    page = client.get(f"/admin/curation/insights/{roadmap.pk}/figures/").content.decode()
    assert 'Learners who started it: <span class="insights-number">6</span>' in page
    for header in ("In progress", "Done", "Skipped", "Skip rate", "Median days to done"):
        assert f">{header}</th>" in page
    assert (
        '<td class="insights-number">20%</td>' in page
        and '<td class="insights-number">2.5</td>' in page
    )
    assert page.count('<svg class="insights-bar"') == 3 + 2  # per resource and per part
    assert "Figures as of" in page and "Download CSV" in page


def test_a_roadmaps_admin_page_links_to_its_insights(client, roadmap, curator):
    page = client.get(f"/admin/roadmap/roadmap/{roadmap.pk}/change/").content.decode()
    assert f'href="/admin/curation/insights/{roadmap.pk}/figures/">Insights</a>' in page
    # The one link of that name (admin's sidebar is on the page too).
    links = re.findall(r"<a [^>]*>([^<]*)</a>", page)
    assert [text for text in links if "insights" in text.lower()] == ["Insights"]


def test_a_bad_range_is_a_clear_400(client, roadmap, curator):
    for query in ("start=yesterday", "start=2026-02-01&end=2026-01-01"):
        answer = client.get(f"/admin/curation/insights/{roadmap.pk}/figures/?{query}")
        assert answer.status_code == 400 and "errorlist" in answer.content.decode()
    assert client.get("/admin/curation/insights/999999/figures/").status_code == 404


def test_before_the_first_computation_the_page_says_so(client, curator, db):
    roadmap = RoadmapFactory(slug="fresh")
    page = client.get(f"/admin/curation/insights/{roadmap.pk}/figures/").content.decode()
    assert "have not been computed yet" in page


def test_figures_are_as_of_the_last_computation(client, roadmap, curator):
    c = roadmap.parts.get(title="Two").topics.get().resources.get()
    Progress.objects.create(
        user=UserFactory(), work=c.work, state="skipped", completed_at=at("2026-02-06")
    )
    assert table(client, roadmap)["resources"]["C"][2] == "1"  # not yet
    insights_refresh()  # (concurrently, now that the views hold figures)
    assert table(client, roadmap)["resources"]["C"][2] == "2"


def test_learners_are_not_let_in(client, roadmap):
    client.force_login(UserFactory())
    assert client.get(f"/admin/curation/insights/{roadmap.pk}/figures/").status_code == 302


def test_computing_afresh_is_asked_of_the_job_runner_and_goes_back_only_on_the_site(
    client, roadmap, curator
):
    from procrastinate.contrib.django.models import ProcrastinateJob

    page = f"/admin/curation/insights/{roadmap.pk}/figures/"
    answer = client.post("/admin/curation/insights/refresh/", {"next": page})
    assert answer.status_code == 302 and answer["Location"] == page
    assert ProcrastinateJob.objects.filter(task_name__endswith="refresh_insights").exists()
    away = client.post("/admin/curation/insights/refresh/", {"next": "https://evil.example/"})
    assert away["Location"] == "/admin/curation/insights/"
    assert client.get("/admin/curation/insights/refresh/").status_code == 405


def test_the_funnel_counts_what_counts(client, roadmap, curator):
    """The view restates Resource.objects.counted() in SQL: a learner only on a draft
    part's resource, or on an archived one, has not started the roadmap."""
    draft = ResourceFactory(topic=TopicFactory(part=PartFactory(roadmap=roadmap, status="draft")))
    archived = ResourceFactory(topic=roadmap.parts.get(title="One").topics.get(), status="archived")
    for resource in (draft, archived):
        Progress.objects.create(
            user=UserFactory(), work=resource.work, completed_at=at("2026-01-02")
        )
    insights_refresh()
    assert table(client, roadmap)["parts"] == {"One": 6, "Two": 3}
    page = client.get(f"/admin/curation/insights/{roadmap.pk}/figures/").content.decode()
    assert 'Learners who started it: <span class="insights-number">6</span>' in page
