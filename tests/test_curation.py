"""Curators in Django admin: permissions, archive-not-delete, ordering, bulk actions,
import and export pages, and bad input that gives form errors."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from roadmap.models import Part, Progress, Resource, Topic
from tests.factories import (
    ResourceFactory,
    TopicFactory,
    UserFactory,
    build_roadmap,
    resources_in_one_topic,
    topic_page_form,
)
from tests.progress_helpers import ROADMAP, bars


@pytest.fixture
def admin_client(client, curator):
    client.force_login(curator)
    return client


@pytest.fixture
def ticked(seed):
    """The seed, with a learner who ticked the first resource."""
    resource = Resource.objects.get(title="Learn Python The Hard Way")
    learner = UserFactory(username="ticker")
    Progress.objects.create(user=learner, work=resource.work)
    return resource


def messages_on(response) -> str:
    return " ".join(str(m) for m in response.context["messages"]) if response.context else ""


def test_curators_edit_content_but_not_users(admin_client, seed):
    for model in ["roadmap", "part", "topic", "resource"]:
        assert admin_client.get(f"/admin/roadmap/{model}/").status_code == 200
        assert admin_client.get(f"/admin/roadmap/{model}/add/").status_code == 200
        assert admin_client.get(f"/admin/roadmap/{model}/1/change/").status_code == 200
    assert admin_client.get("/admin/accounts/user/").status_code == 403
    assert admin_client.get("/admin/auth/group/").status_code == 403


def test_learners_cannot_reach_admin(client, learner):
    client.force_login(learner)
    assert client.get("/admin/roadmap/resource/").status_code == 302


def test_deleting_a_ticked_resource_is_refused_and_points_to_archive(admin_client, ticked):
    response = admin_client.post(
        f"/admin/roadmap/resource/{ticked.pk}/delete/", {"post": "yes"}, follow=True
    )
    assert "cannot be deleted" in messages_on(response)
    assert "Archive" in messages_on(response)
    assert Resource.objects.filter(pk=ticked.pk).exists()
    assert Progress.objects.filter(work__resources=ticked).exists()


def test_deleting_a_resource_a_visitor_ticked_is_refused_too(admin_client, client, three):
    # (Their state is kept for their sign-up, on the resource's work.)
    client.post(f"/resources/{three[0].public_id}/progress", {"state": "done"})
    response = admin_client.post(
        f"/admin/roadmap/resource/{three[0].pk}/delete/", {"post": "yes"}, follow=True
    )
    assert "learners (or visitors, until they sign up) have marked" in messages_on(response)
    assert Resource.objects.filter(pk=three[0].pk).exists()


def test_bulk_delete_of_ticked_resources_is_refused(admin_client, ticked):
    response = admin_client.post(
        "/admin/roadmap/resource/",
        {"action": "delete_selected", "_selected_action": [ticked.pk], "post": "yes"},
        follow=True,
    )
    assert "Archive" in messages_on(response)
    assert Resource.objects.filter(pk=ticked.pk).exists()


@pytest.mark.parametrize("model", ["topic", "part", "roadmap"])
def test_deleting_a_topic_or_part_cannot_cascade_progress_away(admin_client, ticked, model):
    obj = {"topic": ticked.topic, "part": ticked.topic.part, "roadmap": ticked.topic.part.roadmap}[
        model
    ]
    response = admin_client.post(
        f"/admin/roadmap/{model}/{obj.pk}/delete/", {"post": "yes"}, follow=True
    )
    assert "cannot be deleted" in messages_on(response)
    assert type(obj).objects.filter(pk=obj.pk).exists()
    assert Progress.objects.count() == 1


def test_an_unticked_resource_can_be_deleted(admin_client, seed):
    resource = Resource.objects.get(title="Practical Statistics for Data Scientists, 2nd Edition")
    admin_client.post(f"/admin/roadmap/resource/{resource.pk}/delete/", {"post": "yes"})
    assert not Resource.objects.filter(pk=resource.pk).exists()


def test_archive_and_unarchive_keep_progress_and_recompute_totals(admin_client, ticked):
    learner = Progress.objects.get().user
    admin_client.post(
        "/admin/roadmap/resource/", {"action": "archive", "_selected_action": [ticked.pk]}
    )
    assert Resource.objects.get(pk=ticked.pk).status == "archived"
    admin_client.force_login(learner)
    assert bars(admin_client.get(ROADMAP).content.decode())["overall"] == 0  # 0 of 4
    assert Progress.objects.filter(work__resources=ticked).exists()
    admin_client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    admin_client.post(
        "/admin/roadmap/resource/", {"action": "unarchive", "_selected_action": [ticked.pk]}
    )
    admin_client.force_login(learner)
    assert bars(admin_client.get(ROADMAP).content.decode())["overall"] == 20


def test_unarchive_brings_back_archived_resources_only_never_a_draft(admin_client, seed):
    archived, draft = Resource.objects.order_by("pk")[:2]
    Resource.objects.filter(pk=archived.pk).update(status="archived")
    Resource.objects.filter(pk=draft.pk).update(status="draft")
    response = admin_client.post(
        "/admin/roadmap/resource/",
        {"action": "unarchive", "_selected_action": [archived.pk, draft.pk]},
        follow=True,
    )
    assert Resource.objects.get(pk=archived.pk).status == "published"
    assert Resource.objects.get(pk=draft.pk).status == "draft"
    assert "Unarchive: 1 resource(s) (1 not archived, left as they are)." in (
        response.content.decode()
    )


@pytest.mark.parametrize(
    ("action", "status"), [("publish", "published"), ("back_to_draft", "draft")]
)
def test_bulk_publish_and_back_to_draft(admin_client, seed, action, status):
    ids = list(Resource.objects.values_list("pk", flat=True)[:2])
    admin_client.post("/admin/roadmap/resource/", {"action": action, "_selected_action": ids})
    assert set(Resource.objects.filter(pk__in=ids).values_list("status", flat=True)) == {status}


def test_status_is_editable_from_the_list(admin_client, seed):
    resources = list(Resource.objects.order_by("topic__part__order", "pk"))
    data = {
        "form-TOTAL_FORMS": len(resources),
        "form-INITIAL_FORMS": len(resources),
        "_save": "Save",
    }
    for index, resource in enumerate(resources):
        data[f"form-{index}-id"] = resource.pk
        data[f"form-{index}-status"] = "draft" if index == 0 else resource.status
    response = admin_client.post("/admin/roadmap/resource/?o=", data)
    assert response.status_code == 302
    assert Resource.objects.filter(status="draft").count() == 1


def test_learners_completed_column_in_constant_queries(admin_client, db):
    def changelist_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get("/admin/roadmap/resource/").status_code == 200
        return len(queries)

    build_roadmap(parts=1, topics_per_part=1, resources_per_topic=3)
    for resource in Resource.objects.all():
        Progress.objects.create(user=UserFactory(), work=resource.work)
    small = changelist_queries()
    build_roadmap(parts=2, topics_per_part=5, resources_per_topic=9, slug="second")
    for resource in Resource.objects.all()[:60]:
        Progress.objects.get_or_create(user=UserFactory(), work=resource.work)
    large = changelist_queries()
    assert small == large
    html = admin_client.get("/admin/roadmap/resource/").content.decode()
    assert "learners completed" in html.lower()


def test_the_learners_columns_count_each_state_and_sort(admin_client, db):
    """Each resource's learners done, in progress and skipped, counted on its URL (listed
    twice, counted alike in both places), and the list sorted by them."""
    from roadmap.admin import ResourceAdmin

    first, second, third = resources_in_one_topic(3, title="Book ")
    [again] = resources_in_one_topic(1, title="Again ")
    again.url = second.url
    again.save()
    states = {first: ["done"], second: ["done", "done", "in_progress", "skipped"], third: []}
    for resource, theirs in states.items():
        for state in theirs:
            Progress.objects.create(user=UserFactory(), work=resource.work, state=state)

    def rows(order: str = "") -> list[tuple[str, ...]]:
        html = admin_client.get(f"/admin/roadmap/resource/{order}").content.decode()
        found = []
        for row in re.findall(r"<tr>.*?</tr>", html, re.S):
            if "field-learners_completed" in row:
                title = re.search(r"field-title[^>]*><a [^>]*>([^<]+)<", row).group(1)
                figures = re.findall(r'field-learners_\w+">(\d+)<', row)
                found.append((title, *figures))
        return found

    assert sorted(rows()) == [
        ("Again 0", "2", "1", "1"),
        ("Book 0", "1", "0", "0"),
        ("Book 1", "2", "1", "1"),
        ("Book 2", "0", "0", "0"),
    ]
    done = ResourceAdmin.list_display.index("learners_completed") + 1
    by_done = [title for title, *_ in rows(f"?o=-{done}.1")]
    assert by_done == ["Again 0", "Book 1", "Book 0", "Book 2"]  # then by title


def test_search_and_link_health_filter(admin_client, seed):
    from django.utils import timezone

    Resource.objects.filter(title__startswith="Learn Python").update(
        link_status=404, link_checked_at=timezone.now()
    )
    Resource.objects.filter(title__startswith="Data Science").update(
        link_status=200, link_checked_at=timezone.now()
    )
    broken = admin_client.get("/admin/roadmap/resource/?link=broken").content.decode()
    assert "Learn Python The Hard Way" in broken and "Data Science from Scratch" not in broken
    ok = admin_client.get("/admin/roadmap/resource/?link=ok").content.decode()
    assert "Data Science from Scratch" in ok and "Learn Python" not in ok
    found = admin_client.get("/admin/roadmap/resource/?q=oreilly.com").content.decode()
    assert "Practical Statistics" in found and "Learn Python" not in found
    for query in [
        "kind__exact=book",
        "status__exact=published",
        "topic__part__id__exact=1",
        "cost__exact=free",
    ]:
        assert admin_client.get(f"/admin/roadmap/resource/?{query}").status_code == 200


def resource_form(topic, **overrides) -> dict:
    return {
        "topic": topic.pk,
        "title": "A new resource",
        "status": "published",
        "url": "https://example.com/new",
        "kind": "article",
        "level": "",
        "cost": "",
        "description": "",
        "order": "",
        **overrides,
    }


def test_adding_a_resource_at_a_position_keeps_order_contiguous(admin_client, seed):
    math = Topic.objects.get(slug="math")
    response = admin_client.post("/admin/roadmap/resource/add/", resource_form(math, order="1"))
    assert response.status_code == 302
    assert list(math.resources.order_by("order").values_list("order", "title")) == [
        (1, "A new resource"),
        (2, "Mathematics for Machine Learning Specialization - Coursera"),
        (3, "Practical Statistics for Data Scientists, 2nd Edition"),
    ]
    admin_client.post(
        "/admin/roadmap/resource/add/",
        resource_form(math, url="https://example.com/2", title="Last"),
    )
    assert list(math.resources.order_by("order").values_list("order", flat=True)) == [1, 2, 3, 4]
    assert math.resources.get(order=4).title == "Last"


@pytest.mark.parametrize(("moving", "to", "after"), [(0, 3, [1, 2, 0]), (2, 1, [2, 0, 1])])
def test_a_resource_given_a_position_takes_it_moving_down_as_up(
    admin_client, db, moving, to, after
):
    """Typing 3 for the first of three makes it last; 1 for the last, first."""
    books = resources_in_one_topic(3, title="Book ")
    book = books[moving]
    data = resource_form(book.topic, title=book.title, url=book.url, kind=book.kind, order=to)
    assert admin_client.post(f"/admin/roadmap/resource/{book.pk}/change/", data).status_code == 302
    titles = book.topic.resources.order_by("order").values_list("title", flat=True)
    assert list(titles) == [f"Book {n}" for n in after]


def test_moving_a_resource_to_another_topic_renumbers_both(admin_client, seed):
    math, ml = Topic.objects.get(slug="math"), Topic.objects.get(slug="machine-learning")
    moving = math.resources.get(order=1)
    data = resource_form(ml, title=moving.title, url=moving.url, kind=moving.kind, order="9")
    assert (
        admin_client.post(f"/admin/roadmap/resource/{moving.pk}/change/", data).status_code == 302
    )
    assert list(math.resources.values_list("order", flat=True)) == [1]
    assert list(ml.resources.order_by("order").values_list("order", flat=True)) == [1, 2, 3]
    assert ml.resources.get(order=3).pk == moving.pk


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"url": "not a url"}, "Enter a valid URL."),
        ({"url": "javascript:alert(1)"}, "Enter a valid URL."),
        ({"title": ""}, "This field is required."),
        ({"url": "https://learnpythonthehardway.org/python3/"}, "already in the roadmap"),
    ],
)
def test_bad_input_in_admin_gives_form_errors(admin_client, seed, overrides, error):
    count = Resource.objects.count()
    response = admin_client.post(
        "/admin/roadmap/resource/add/", resource_form(Topic.objects.get(slug="math"), **overrides)
    )
    assert response.status_code == 200
    assert error in response.content.decode()
    assert Resource.objects.count() == count


def test_topic_admin_inline_reorders_and_flags_duplicates(admin_client, seed):
    math = Topic.objects.get(slug="math")
    first, second = math.resources.order_by("order")
    data = topic_page_form(math, [first, second])
    data["resources-0-order"], data["resources-1-order"] = 2, 1
    assert admin_client.post(f"/admin/roadmap/topic/{math.pk}/change/", data).status_code == 302
    assert list(math.resources.order_by("order").values_list("pk", flat=True)) == [
        second.pk,
        first.pk,
    ]
    data["resources-1-url"] = first.url  # the same URL twice
    response = admin_client.post(f"/admin/roadmap/topic/{math.pk}/change/", data)
    assert response.status_code == 200
    assert (
        "already in the roadmap" in response.content.decode()
        or "Please correct" in response.content.decode()
    )


@pytest.mark.parametrize(("moving", "to", "after"), [(2, 1, [2, 0, 1]), (0, 3, [1, 2, 0])])
def test_a_row_of_a_topics_page_given_a_position_takes_it(admin_client, db, moving, to, after):
    """On its topic's page, a resource typed to another's position takes it, the rest
    moving along, as on its own page: not refused as a duplicate order."""
    books = resources_in_one_topic(3, title="Book ")
    topic = books[0].topic
    data = topic_page_form(topic, books)
    data[f"resources-{moving}-order"] = to
    answer = admin_client.post(f"/admin/roadmap/topic/{topic.pk}/change/", data)
    assert answer.status_code == 302
    titles = topic.resources.order_by("order").values_list("title", flat=True)
    assert list(titles) == [f"Book {n}" for n in after]


def test_a_topics_page_places_a_new_row_where_typed_and_closes_the_gap_of_one_deleted(
    admin_client, db
):
    """A row added at position 1 goes first, the rest moving along; a row deleted in the
    same save leaves no gap: 1..n."""
    books = resources_in_one_topic(3, title="Book ")
    topic = books[0].topic
    data = topic_page_form(topic, books)
    data["resources-1-DELETE"] = "on"
    new = {"title": "New", "url": "https://new.example/", "kind": "book", "status": "published"}
    for name, value in {**new, "order": 1, "topic": topic.pk, "description": ""}.items():
        data[f"resources-3-{name}"] = value
    data["resources-TOTAL_FORMS"] = 4
    answer = admin_client.post(f"/admin/roadmap/topic/{topic.pk}/change/", data)
    assert answer.status_code == 302
    rows = topic.resources.order_by("order").values_list("order", "title")
    assert list(rows) == [(1, "New"), (2, "Book 0"), (3, "Book 2")]


def test_view_on_site_links_to_the_resource_on_the_roadmap(admin_client, seed):
    resource = Resource.objects.first()
    html = admin_client.get("/admin/roadmap/resource/").content.decode()
    assert f'href="/roadmaps/deep-learning/#resource-{resource.public_id}"' in html


def test_import_page_previews_then_applies(admin_client, seed):
    from tests.test_import_export import SEED

    text = SEED.read_text().replace("### Math", "### Mathematics")
    upload = SimpleUploadedFile("roadmap.md", text.encode(), content_type="text/markdown")
    preview = admin_client.post("/admin/roadmap/roadmap/import/", {"file": upload})
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "Topics: 1 created" in html
    assert not Topic.objects.filter(slug="mathematics").exists()  # a preview changes nothing
    carried = re.search(r'<textarea name="content" hidden>(.*?)</textarea>', html, flags=re.S)
    assert carried and "### Mathematics" in carried.group(1)
    applied = admin_client.post(
        "/admin/roadmap/roadmap/import/", {"step": "apply", "content": text}, follow=True
    )
    assert "Imported." in messages_on(applied)
    assert Topic.objects.filter(slug="mathematics").exists()


def test_importing_takes_leave_to_write_everything_it_writes(client, seed):
    """A staff member who may add and change roadmaps but not resources (nor parts or
    topics) may not import: an import writes all four."""
    from django.contrib.auth.models import Permission

    from tests.factories import StaffFactory

    staff = StaffFactory()
    staff.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="roadmap", content_type__model="roadmap")
    )
    client.force_login(staff)
    before = list(Resource.objects.values_list("pk", "status", "title"))
    text = "# Deep Learning Roadmap\n\n## Injected\n\n### Here\n\n- [Injected](https://e.org/x)\n"
    posted = {"content": text, "step": "apply", "archive_missing": "on"}
    answer = client.post("/admin/roadmap/roadmap/import/", posted)
    assert answer.status_code == 403
    assert list(Resource.objects.values_list("pk", "status", "title")) == before
    staff.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="roadmap",
            content_type__model__in=["part", "topic", "resource"],
            codename__regex=r"^(add|change)_",
        )
    )
    client.force_login(type(staff).objects.get(pk=staff.pk))  # (its permissions read anew)
    assert client.get("/admin/roadmap/roadmap/import/").status_code == 200


def test_import_page_shows_parse_errors_and_changes_nothing(admin_client, seed):
    upload = SimpleUploadedFile("bad.md", b"# R\n-- soon --\n")
    response = admin_client.post("/admin/roadmap/roadmap/import/", {"file": upload})
    assert response.status_code == 200
    assert "bad.md:2: &#x27;-- soon --&#x27; outside a part" in response.content.decode()
    assert Topic.objects.count() == 3
    empty = admin_client.post("/admin/roadmap/roadmap/import/", {})
    assert "Choose a Markdown file" in empty.content.decode()


def test_export_download(admin_client, seed):
    response = admin_client.get("/admin/roadmap/roadmap/export/")
    assert response["Content-Type"].startswith("text/markdown")
    assert "attachment" in response["Content-Disposition"]
    assert response.content.decode().startswith("# Deep Learning Roadmap")


def test_import_export_pages_are_for_staff_only(client, learner):
    client.force_login(learner)
    assert client.get("/admin/roadmap/roadmap/export/").status_code == 302
    assert client.get("/admin/roadmap/roadmap/import/").status_code == 302


def test_part_status_editable_and_draft_part_hidden(admin_client, seed):
    part = Part.objects.get(slug="deep-learning-basics")
    ResourceFactory(topic=TopicFactory(part=part), title="Secret")
    admin_client.post(f"/admin/roadmap/part/{part.pk}/delete/", {"post": "yes"})
    assert not Part.objects.filter(pk=part.pk).exists()  # no progress under it: deletable


def test_the_queues_roadmap_filter_lists_the_roadmaps_as_they_are(admin_client, seed):
    """Renamed or added since this process last read the content: as they are now."""
    from roadmap.models import Roadmap
    from tests.factories import RoadmapFactory

    admin_client.get("/roadmaps/deep-learning/")  # this process reads the content
    Roadmap.objects.filter(slug="deep-learning").update(title="Deep learning, renamed")
    RoadmapFactory(slug="new-one", title="A new roadmap", order=9)
    for queue in ("suggestion", "report"):
        page = admin_client.get(f"/admin/curation/{queue}/").content.decode()
        assert "Deep learning, renamed" in page and "A new roadmap" in page
