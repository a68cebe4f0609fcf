"""Several roadmaps: the home page, a roadmap's own page, drafts, prerequisites, and
progress that follows the resource (one work per URL) across roadmaps."""

import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from roadmap.models import Note, Part, Progress, Resource, Roadmap, VisitorProgress, Work, url_key
from roadmap.progress import VISITOR, VISITOR_RESOURCE_ROWS, VISITOR_ROWS, learner_state
from roadmap.services import note_save, progress_set, share_link_enable, work_join, work_join_plan
from tests.factories import (
    PartFactory,
    ResourceFactory,
    RoadmapFactory,
    StaffFactory,
    TopicFactory,
    UserFactory,
    build_roadmap,
)
from tests.progress_helpers import HTMX, bars, count_queries, queries_cold_and_warm, ticked

BOOK = "https://www.deeplearningbook.org/"


@pytest.fixture
def tracks(db):
    """The general path, a published vision track after it that lists the same book (its
    URL written differently) and one more, and a draft track."""
    general = RoadmapFactory()
    basics = TopicFactory(part=PartFactory(roadmap=general), title="Basics")
    book = ResourceFactory(topic=basics, title="The Deep Learning Book", url=BOOK)
    python = ResourceFactory(topic=basics, title="Python")
    vision = RoadmapFactory(
        slug="computer-vision", title="Computer vision", summary="Seeing with *networks*."
    )
    vision.prerequisites.add(general)
    seeing = TopicFactory(part=PartFactory(roadmap=vision), title="Seeing")
    same_book = ResourceFactory(
        topic=seeing, title="Goodfellow et al.", url="http://WWW.DeepLearningBook.org"
    )
    cnn = ResourceFactory(topic=seeing, title="CNNs")
    draft = RoadmapFactory(slug="nlp", title="Secret language track", status="draft")
    words = TopicFactory(part=PartFactory(roadmap=draft))
    ResourceFactory(topic=words, title="Draft-only read")
    return {
        "general": general,
        "vision": vision,
        "draft": draft,
        "book": book,
        "python": python,
        "same_book": same_book,
        "cnn": cnn,
    }


def roadmap_page(client, roadmap) -> str:
    response = client.get(f"/roadmaps/{roadmap.slug}/")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("https://example.com/a", "HTTPS://EXAMPLE.COM/a"),
        ("https://example.com/a", "http://example.com/a"),
        ("https://example.com/a/", "https://example.com/a"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com:443/a", "http://example.com:80/a"),
        ("https://example.com./a", "https://example.com/a"),
        ("https://example.com/a?", "https://example.com/a#"),
    ],
)
def test_urls_that_name_the_same_address_compare_equal(one, other):
    assert url_key(one) == url_key(other)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("https://example.com/A", "https://example.com/a"),  # paths are case-sensitive
        ("https://example.com/a?x=1", "https://example.com/a?x=2"),
        ("https://example.com/a#part-1", "https://example.com/a#part-2"),
        ("https://example.com:8080/a", "https://example.com/a"),
        ("https://www.example.com/a", "https://example.com/a"),
    ],
)
def test_urls_that_may_name_different_pages_do_not(one, other):
    assert url_key(one) != url_key(other)


def test_resources_with_the_same_url_list_one_work(tracks):
    assert tracks["book"].work_id == tracks["same_book"].work_id
    assert tracks["book"].work_id != tracks["python"].work_id
    assert Work.objects.count() == 4  # the book, Python, CNNs, the draft's


def test_resources_written_in_bulk_get_their_works_too(tracks):
    topic = tracks["cnn"].topic
    (again, new) = Resource.objects.bulk_create(
        [
            ResourceFactory.build(topic=topic, url="HTTP://www.deeplearningbook.org/", order=8),
            ResourceFactory.build(topic=topic, url="https://new.example/", order=9),
        ]
    )
    assert again.work_id == tracks["book"].work_id
    assert Work.objects.get(pk=new.work_id).url_key == "//new.example/"


def test_correcting_the_only_listing_of_a_url_moves_its_states_with_it(tracks, learner):
    """A typo fixed keeps the learner's tick; pointing a resource at a URL listed
    elsewhere makes it that work."""
    progress_set(user=learner, resource=tracks["python"], done=True)
    python = tracks["python"]
    python.url = "https://docs.python.org/3/tutorial/"
    python.save()
    assert Progress.objects.get(user=learner).work_id == python.work_id
    cnn = tracks["cnn"]
    cnn.url = BOOK
    cnn.save()
    assert cnn.work_id == tracks["book"].work_id


def test_a_join_keeps_the_state_that_counts_and_joins_notes(tracks, learner):
    """The only listing of a work pointed at another work's URL, and its learners' states
    and notes joined into that work (as a curator chooses in admin): a learner with a
    state on both keeps the one that counts, then the earlier, and two notes are joined;
    their rows on the old work stay as they were, where no page shows them."""
    other, third = UserFactory(), UserFactory()
    progress_set(user=learner, resource=tracks["cnn"], done=True)
    progress_set(user=other, resource=tracks["cnn"], state="in_progress")
    progress_set(user=other, resource=tracks["book"], state="skipped")
    progress_set(user=third, resource=tracks["cnn"], state="done")
    progress_set(user=third, resource=tracks["book"], state="in_progress")
    note_save(user=learner, resource=tracks["cnn"], text="conv")
    note_save(user=learner, resource=tracks["book"], text="book")
    fourth = UserFactory()  # done on both: the earlier completion stands
    progress_set(user=fourth, resource=tracks["cnn"], state="done")
    progress_set(user=fourth, resource=tracks["book"], state="done")
    first_done = timezone.now() - timedelta(days=30)
    Progress.objects.filter(user=fourth, work=tracks["cnn"].work_id).update(completed_at=first_done)
    cnn = tracks["cnn"]
    plan = work_join_plan(resource=cnn, url=BOOK)
    assert (plan.learners, plan.learners_there) == (4, 4)
    cnn.url = BOOK
    cnn.save()
    book = tracks["book"].work_id
    assert cnn.work_id == book
    assert not Progress.objects.filter(user=learner, work=book).exists()  # kept apart
    work_join(from_work=plan.from_work, into_work=plan.into_work)
    assert Progress.objects.get(user=learner, work=book).state == "done"
    assert Progress.objects.get(user=other, work=book).state == "skipped"  # both count: here
    assert Progress.objects.get(user=third, work=book).state == "done"  # the one that counts
    assert Progress.objects.get(user=fourth, work=book).completed_at == first_done
    assert Progress.objects.filter(work=book).count() == 4
    note = Note.objects.get(user=learner, work=book)
    assert note.text == "book\n\nconv" and "<p>conv</p>" in note.html


def test_the_home_page_lists_the_published_roadmaps_in_order(client, tracks):
    html = client.get("/").content.decode()
    assert html.index("Deep Learning Roadmap") < html.index("Computer vision")
    assert "Seeing with <em>networks</em>." in html
    assert "Secret language track" not in html
    assert "2 resources" in html
    assert 'href="/roadmaps/computer-vision/"' in html
    assert bars(html) == {}  # a visitor who has ticked nothing sees no bars


def test_a_draft_roadmap_is_for_staff_only(client, tracks, learner):
    assert client.get("/roadmaps/nlp/").status_code == 404
    client.force_login(learner)
    assert client.get("/roadmaps/nlp/").status_code == 404
    assert "Secret language track" not in client.get("/").content.decode()
    client.force_login(StaffFactory())
    html = roadmap_page(client, tracks["draft"])
    assert "Draft-only read" in html and "badge-staff" in html
    assert "Secret language track" in client.get("/").content.decode()
    assert client.get("/roadmaps/no-such-track/").status_code == 404


def test_what_a_draft_roadmap_lists_counts_nowhere_until_it_is_published(tracks, learner):
    only_in_draft = Resource.objects.get(title="Draft-only read")
    assert not Resource.objects.counted().filter(pk=only_in_draft.pk).exists()
    Roadmap.objects.filter(pk=tracks["draft"].pk).update(status="published")
    assert Resource.objects.counted().filter(pk=only_in_draft.pk).exists()


def test_a_url_ticked_in_one_roadmap_is_done_and_counted_in_the_other(client, learner, tracks):
    client.force_login(learner)
    answer = client.post(
        f"/resources/{tracks['book'].public_id}/progress", {"done": "1"}, headers=HTMX
    )
    assert bars(answer.content.decode())["overall"] == 50
    vision = roadmap_page(client, tracks["vision"])
    assert str(tracks["same_book"].public_id) in ticked(vision)
    assert bars(vision)["overall"] == 50  # 1 of 2
    general = roadmap_page(client, tracks["general"])
    assert str(tracks["book"].public_id) in ticked(general)
    home = bars(client.get("/").content.decode())
    assert home == {f"roadmap-{tracks['general'].pk}": 50, f"roadmap-{tracks['vision'].pk}": 50}
    # One state: set in the other roadmap, it changes in the first.
    client.post(f"/resources/{tracks['same_book'].public_id}/progress", {"state": "skipped"})
    assert Progress.objects.get(user=learner).state == "skipped"
    assert 'id="state-{}"'.format(tracks["book"].public_id) in roadmap_page(
        client, tracks["general"]
    )
    assert bars(roadmap_page(client, tracks["general"]))["overall"] == 50


def test_a_note_written_in_one_roadmap_shows_in_the_other(client, learner, tracks):
    client.force_login(learner)
    client.post(f"/resources/{tracks['book'].public_id}/note", {"text": "Chapter *6*"})
    assert Note.objects.get(user=learner).work_id == tracks["book"].work_id
    assert "Chapter <em>6</em>" in roadmap_page(client, tracks["vision"])


def test_a_visitors_tick_follows_the_resource_too(client, tracks):
    client.post(f"/resources/{tracks['same_book'].public_id}/progress", {"done": "1"})
    assert str(tracks["book"].public_id) in ticked(roadmap_page(client, tracks["general"]))
    home = bars(client.get("/").content.decode())
    assert home[f"roadmap-{tracks['general'].pk}"] == 50


@pytest.mark.parametrize("by", [VISITOR_RESOURCE_ROWS, VISITOR_ROWS])
def test_a_visitors_ticks_from_before_rows_are_read_into_them(client, tracks, by):
    """Sessions kept a visitor's states in their data: by resource before works, then by
    work. Either is read into rows once."""
    session = client.session
    pk = tracks["book"].pk if by == VISITOR_RESOURCE_ROWS else tracks["book"].work_id
    session[by] = {str(pk): ["done", 1_700_000_000.0]}
    session.save()
    assert str(tracks["same_book"].public_id) in ticked(roadmap_page(client, tracks["vision"]))
    row = VisitorProgress.objects.get(visitor=client.session[VISITOR])
    assert (row.work_id, row.state) == (tracks["book"].work_id, "done")
    assert row.completed_at.timestamp() == 1_700_000_000.0
    assert by not in client.session


def test_a_url_listed_twice_in_one_roadmap_counts_once_and_its_answer_updates_both_topics(
    client, learner, tracks
):
    # Twice in one roadmap: the models refuse it (clean), but data from before the URLs
    # were compared this way can hold it.
    other_topic = TopicFactory(part=tracks["book"].topic.part)
    twin = ResourceFactory.build(topic=other_topic, url=BOOK + "?", order=1)
    twin.save()
    client.force_login(learner)
    answer = client.post(
        f"/resources/{tracks['book'].public_id}/progress", {"done": "1"}, headers=HTMX
    ).content.decode()
    # Both rows come back ticked: the twin's out of band, in place of its own.
    assert {str(tracks["book"].public_id), str(twin.public_id)} <= ticked(answer)
    assert f'hx-swap-oob="outerHTML:#{twin.anchor} .resource-main"' in answer
    assert f"#{tracks['book'].anchor} .resource-main" not in answer
    figures = bars(answer)
    assert figures[f"topic-{tracks['book'].topic_id}"] == 50
    assert figures[f"topic-{other_topic.pk}"] == 100
    assert figures["overall"] == 50  # the book once, Python not: 1 of 2
    page = roadmap_page(client, tracks["general"])
    assert {str(tracks["book"].public_id), str(twin.public_id)} <= ticked(page)
    assert bars(page) == figures


def test_prerequisites_are_shown_with_the_learners_progress_and_lock_nothing(
    client, learner, tracks
):
    progress_set(user=learner, resource=tracks["python"], done=True)
    client.force_login(learner)
    html = roadmap_page(client, tracks["vision"])
    before = html[html.index("Before this") : html.index("</aside>")]
    assert 'href="/roadmaps/deep-learning/"' in before
    assert f'you are <span id="through-{tracks["general"].pk}">50%</span> through' in before
    assert "Mark CNNs as done" in html  # nothing locked
    assert "Before this" not in roadmap_page(client, tracks["general"])


@pytest.mark.parametrize("ticked", ["same_book", "cnn"])
def test_a_tick_on_a_track_updates_how_far_through_the_roadmap_before_it_is(
    client, learner, tracks, ticked
):
    """The book is listed in the vision track and in the general path before it: ticked
    on the track's page, "you are N% through" the general path changes in place too. CNNs
    is the track's alone: the general path's figure is left as it is."""
    progress_set(user=learner, resource=tracks["python"], done=True)
    client.force_login(learner)
    roadmap_page(client, tracks["vision"])
    resource = tracks[ticked]
    answer = client.post(
        f"/resources/{resource.public_id}/progress", {"done": "1"}, headers=HTMX
    ).content.decode()
    through = f'<span id="through-{tracks["general"].pk}" hx-swap-oob="true">100%</span>'
    assert (through in answer) == (ticked == "same_book")


def test_the_navigation_shows_the_current_roadmaps_percentage(client, learner, tracks):
    progress_set(user=learner, resource=tracks["python"], done=True)
    client.force_login(learner)
    nav = re.compile(r'<span class="nav-percent">(\d+)%</span>')
    assert nav.findall(roadmap_page(client, tracks["general"])) == ["50"]
    assert nav.findall(roadmap_page(client, tracks["vision"])) == ["0"]
    assert nav.findall(client.get("/me/").content.decode()) == ["50"]  # the first's
    # Another roadmap put first: the next page's navigation is of it at once (this
    # process had read the content of before, where the general path was first).
    Roadmap.objects.filter(pk=tracks["general"].pk).update(order=5)
    assert nav.findall(client.get("/me/profile/").content.decode()) == ["0"]


def test_the_dashboard_has_a_card_per_roadmap_started_and_recent_ticks_from_all(
    client, learner, tracks
):
    progress_set(user=learner, resource=tracks["cnn"], state="in_progress")
    client.force_login(learner)
    html = client.get("/me/").content.decode()
    assert "Computer vision" in html and "card-deep-learning-title" not in html
    progress_set(user=learner, resource=tracks["python"], done=True)
    html = client.get("/me/").content.decode()
    cards = re.findall(r'id="card-([\w-]+)-title"', html)
    assert cards == ["deep-learning", "computer-vision"]
    vision = html[html.index('id="card-computer-vision-title"') :]
    assert "CNNs" in vision[: vision.index("Next up")]  # in progress there
    assert "Goodfellow et al." in vision[vision.index("Next up") :]
    recent = html[html.index("Recently completed") :]
    assert "Python" in recent and "in Deep Learning Roadmap" in recent


def test_the_home_page_kept_follows_each_viewers_kind_and_standing(client, learner, tracks):
    """The home page's list is kept by all it is made of: a learner with no ticks, a
    visitor and staff each see their own, and a tick or an edit shows on the next look."""
    assert "Secret language track" not in client.get("/").content.decode()
    client.force_login(learner)
    html = client.get("/").content.decode()
    assert (
        "Secret language track" not in html and bars(html)[f"roadmap-{tracks['general'].pk}"] == 0
    )
    client.force_login(StaffFactory())
    assert "Secret language track" in client.get("/").content.decode()
    client.force_login(learner)
    progress_set(user=learner, resource=tracks["python"], done=True)
    html = client.get("/").content.decode()
    assert bars(html)[f"roadmap-{tracks['general'].pk}"] == 50
    assert "Continue<" in html
    Roadmap.objects.filter(pk=tracks["vision"].pk).update(title="Seeing machines")
    assert "Seeing machines" in client.get("/").content.decode()
    client.logout()
    html = client.get("/").content.decode()
    assert "Continue<" not in html and "progress-roadmap" not in html


def test_what_me_keeps_shows_each_change_on_the_next_look(client, learner, tracks):
    """/me/'s cards and recent list are kept, named by all they are made of: a tick, an
    untick, a curator's edit and a new time zone each show on the next request, and
    another learner never sees them."""
    client.force_login(learner)
    assert "Nothing yet." in client.get("/me/").content.decode()
    progress_set(user=learner, resource=tracks["python"], done=True)
    html = client.get("/me/").content.decode()
    assert bars(html)["overall"] == 50  # its one card's
    recent = html[html.index("Recently completed") :]
    assert "Python" in recent
    progress_set(user=learner, resource=tracks["python"], state="not_started")
    html = client.get("/me/").content.decode()
    assert bars(html)["overall"] == 0
    assert "Nothing yet." in html
    progress_set(user=learner, resource=tracks["cnn"], state="in_progress")
    client.get("/me/")
    Resource.objects.filter(pk=tracks["cnn"].pk).update(title="Convolutional networks")
    assert "Convolutional networks" in client.get("/me/").content.decode()
    # The date of what was completed, in the learner's zone, whichever it is now.
    progress_set(user=learner, resource=tracks["python"], done=True)
    late = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # 2 March in Tokyo
    Progress.objects.filter(user=learner, work=tracks["python"].work).update(completed_at=late)
    assert "1 March 2026" in client.get("/me/").content.decode()
    learner.time_zone = "Asia/Tokyo"
    learner.save()
    assert "2 March 2026" in client.get("/me/").content.decode()
    other = UserFactory()
    client.force_login(other)
    html = client.get("/me/").content.decode()
    assert "Python" not in html[html.index("Recently completed") :]


def test_the_share_page_shows_every_roadmap_started_and_the_old_badge_the_first(
    client, learner, tracks
):
    progress_set(user=learner, resource=tracks["book"], done=True)
    progress_set(user=learner, resource=tracks["cnn"], done=True)
    token = share_link_enable(user=learner).token
    html = client.get(f"/p/{token}/").content.decode()
    assert "is 50% through the Deep Learning Roadmap" in html
    assert "is 100% through the Computer vision" in html
    assert {str(tracks["book"].public_id), str(tracks["same_book"].public_id)} <= set(
        re.findall(r'id="resource-([0-9a-f-]{36})">\s*<div class="resource-main is-done"', html)
    )
    assert len(set(re.findall(r' id="([^"]+)"', html))) == len(re.findall(r' id="', html))
    old = client.get(f"/p/{token}/badge.svg").content.decode()
    assert "Deep Learning Roadmap" in old and ">50%<" in old
    vision = client.get(f"/p/{token}/computer-vision/badge.svg").content.decode()
    assert "Computer vision" in vision and ">100%<" in vision
    assert client.get(f"/p/{token}/nlp/badge.svg").status_code == 404
    assert client.get(f"/p/{token}/no-such/badge.svg").status_code == 404
    client.force_login(learner)
    sharing = client.get("/me/sharing/").content.decode()
    assert f"/p/{token}/computer-vision/badge.svg" in sharing
    assert f"/p/{token}/nlp/badge.svg" not in sharing


def test_old_links_answer_as_before(client, seed):
    """/ (where the roadmap was, and where /#<anchor> links land) links to it; share and
    badge URLs keep their addresses."""
    home = client.get("/").content.decode()
    assert 'href="/roadmaps/deep-learning/"' in home
    assert 'data-roadmap="/roadmaps/deep-learning/"' in home  # where old anchors are sent
    ada = UserFactory()
    token = share_link_enable(user=ada).token
    assert client.get(f"/p/{token}/").status_code == 200
    assert client.get(f"/p/{token}/badge.svg")["Content-Type"] == "image/svg+xml"


def test_import_creates_a_second_roadmap_as_a_draft_and_export_import_changes_nothing(
    seed, tmp_path
):
    source = tmp_path / "vision.md"
    source.write_text(
        "# Computer vision\n\nSeeing.\n\n## Part one: Convolutions\n\n### Papers\n\n"
        "* [Deep Learning](http://deeplearningbook.org/)\n"
        "  <!-- kind: book -->\n\n* [AlexNet](https://papers.example/alexnet)\n",
        encoding="utf-8",
    )
    out = io.StringIO()
    call_command("import_roadmap", str(source), "--roadmap", "vision", stdout=out)
    vision = Roadmap.objects.get(slug="vision")
    assert vision.status == "draft" and vision.title == "Computer vision"
    assert Roadmap.objects.get(slug="deep-learning").title == "Deep Learning Roadmap"
    assert Resource.objects.filter(topic__part__roadmap=vision).count() == 2
    exported = tmp_path / "exported.md"
    call_command("export_roadmap", str(exported), "--roadmap", "vision", stderr=io.StringIO())
    out = io.StringIO()
    call_command("import_roadmap", str(exported), "--roadmap", "vision", "--publish", stdout=out)
    assert "Resources: 0 created, 0 updated, 2 unchanged" in out.getvalue()
    assert Roadmap.objects.get(slug="vision").status == "published"
    # Without --roadmap, both act on the first roadmap, as before.
    first = io.StringIO()
    call_command("export_roadmap", stdout=first)
    assert first.getvalue().startswith("# Deep Learning Roadmap")


def test_a_dry_run_import_of_a_new_roadmap_creates_nothing(seed, tmp_path):
    source = tmp_path / "nlp.md"
    source.write_text("# NLP\n\n## Part one: Words\n\n### T\n\n* [X](https://x.example/)\n")
    out = io.StringIO()
    call_command("import_roadmap", str(source), "--roadmap", "nlp", "--dry-run", stdout=out)
    assert "Dry run" in out.getvalue()
    assert not Roadmap.objects.filter(slug="nlp").exists()


def test_import_refuses_a_slug_that_is_not_one(seed, tmp_path):
    from django.core.management import CommandError

    source = tmp_path / "x.md"
    source.write_text("# X\n")
    with pytest.raises(CommandError, match="not a slug"):
        call_command("import_roadmap", str(source), "--roadmap", "no spaces/here")
    with pytest.raises(CommandError, match="There is no roadmap “nope”"):
        call_command("export_roadmap", "--roadmap", "nope")


def test_admin_import_asks_which_roadmap_or_a_new_one(admin_client, seed):
    text = "# Vision\n\n## Part one: A\n\n### T\n\n* [X](https://x.example/)\n"
    page = admin_client.get("/admin/roadmap/roadmap/import/").content.decode()
    assert "A new roadmap" in page and "Deep Learning Roadmap" in page
    asked = {"content": text, "roadmap": "new", "new_slug": ""}
    assert (
        "Give the new roadmap a slug."
        in admin_client.post("/admin/roadmap/roadmap/import/", asked).content.decode()
    )
    preview = admin_client.post(
        "/admin/roadmap/roadmap/import/", {**asked, "new_slug": "vision"}
    ).content.decode()
    assert "create roadmap Vision (vision, draft)" in preview
    assert not Roadmap.objects.filter(slug="vision").exists()
    admin_client.post(
        "/admin/roadmap/roadmap/import/",
        {**asked, "new_slug": "vision", "publish": "on", "step": "apply"},
    )
    assert Roadmap.objects.get(slug="vision").status == "published"
    assert Roadmap.objects.get(slug="deep-learning").title == "Deep Learning Roadmap"
    exported = admin_client.get("/admin/roadmap/roadmap/export/?roadmap=vision")
    assert exported.content.decode().startswith("# Vision")
    assert 'filename="vision.md"' in exported["Content-Disposition"]
    assert admin_client.get("/admin/roadmap/roadmap/export/?roadmap=nope").status_code == 404


def test_admin_shows_where_else_a_url_is_listed(admin_client, tracks):
    page = admin_client.get(f"/admin/roadmap/resource/{tracks['book'].pk}/change/")
    html = page.content.decode()
    assert "Also listed at" in html and "Computer vision / " in html
    draft_only = Resource.objects.get(title="Draft-only read")
    response = admin_client.post(
        f"/admin/roadmap/resource/{draft_only.pk}/change/",
        {
            "topic": draft_only.topic_id,
            "title": "Draft-only read",
            "status": "published",
            "url": "https://www.deeplearningbook.org",
            "kind": "article",
            "level": "",
            "cost": "",
            "description": "",
            "order": 2,
        },
        follow=True,
    )
    said = response.content.decode()
    assert "this URL is also listed in Deep Learning Roadmap / Basics; Computer vision / " in said
    assert Resource.objects.get(pk=draft_only.pk).work_id == tracks["book"].work_id


def test_a_roadmap_with_ticked_resources_cannot_be_deleted_only_unpublished(
    admin_client, learner, tracks
):
    progress_set(user=learner, resource=tracks["cnn"], done=True)
    url = f"/admin/roadmap/roadmap/{tracks['vision'].pk}/delete/"
    response = admin_client.post(url, {"post": "yes"}, follow=True)
    assert "cannot be deleted" in response.content.decode()
    assert Roadmap.objects.filter(pk=tracks["vision"].pk).exists()
    vision = f"roadmap-{tracks['vision'].pk}"
    Roadmap.objects.filter(pk=tracks["vision"].pk).update(status="draft")
    assert Progress.objects.filter(user=learner).exists()  # kept, counted nowhere
    assert learner_state(user=learner).progress.get(vision).total == 0
    Roadmap.objects.filter(pk=tracks["vision"].pk).update(status="published")
    assert learner_state(user=learner).progress.get(vision).percent == 50


def test_the_export_lists_each_work_once_with_every_place_it_is_listed(client, learner, tracks):
    progress_set(user=learner, resource=tracks["book"], done=True)
    client.force_login(learner)
    data = json.loads(client.get("/me/export.json").content)
    (row,) = data["progress"]
    assert {place["roadmap"] for place in row["listed_in"]} == {
        "Deep Learning Roadmap",
        "Computer vision",
    }
    assert data["completion"]["computer-vision"]["percent"] == 50


@pytest.mark.parametrize("path", ["/", "/roadmaps/deep-learning/", "/me/"])
def test_query_counts_do_not_grow_with_the_number_of_roadmaps(client, learner, path):
    client.force_login(learner)

    def tracks(count: int) -> None:
        for n in range(count):
            roadmap = build_roadmap(
                parts=2, topics_per_part=2, resources_per_topic=3, slug=f"track-{count}-{n}"
            )
            roadmap.prerequisites.add(Roadmap.objects.get(slug="deep-learning"))
        for resource in Resource.objects.all()[::2]:
            Progress.objects.get_or_create(user=learner, work=resource.work)

    build_roadmap(parts=1, topics_per_part=1, resources_per_topic=2)
    tracks(1)
    small = queries_cold_and_warm(lambda: client.get(path))
    tracks(5)
    large = queries_cold_and_warm(lambda: client.get(path))
    assert small == large
    assert count_queries(lambda: client.get(path)) == small[1]


def test_admin_inlines_refuse_to_delete_what_learners_have_ticked(admin_client, learner, tracks):
    """Deleting a ticked resource from its topic's page, or a part holding one from its
    roadmap's page, is refused like the delete page refuses it."""
    progress_set(user=learner, resource=tracks["cnn"], done=True)
    topic = tracks["cnn"].topic
    page = admin_client.get(f"/admin/roadmap/topic/{topic.pk}/change/").content.decode()
    form = {
        name: value
        for name, value in re.findall(r'name="([^"]+)"[^>]*value="([^"]*)"', page)
        if name != "csrfmiddlewaretoken"
    }
    resources = topic.resources.order_by("order", "pk")
    form |= {"title": topic.title, "slug": topic.slug, "part": topic.part_id, "order": topic.order}
    for n, resource in enumerate(resources):
        form |= {
            f"resources-{n}-title": resource.title,
            f"resources-{n}-url": resource.url,
            f"resources-{n}-kind": resource.kind,
            f"resources-{n}-status": resource.status,
            f"resources-{n}-order": resource.order,
            f"resources-{n}-description": resource.description,
        }
        if resource == tracks["cnn"]:
            form[f"resources-{n}-DELETE"] = "on"
    response = admin_client.post(f"/admin/roadmap/topic/{topic.pk}/change/", form)
    assert response.status_code == 200  # the form again, with the refusal
    assert "cannot be deleted" in response.content.decode()
    assert Resource.objects.filter(pk=tracks["cnn"].pk).exists()
    Progress.objects.all().delete()
    response = admin_client.post(f"/admin/roadmap/topic/{topic.pk}/change/", form)
    assert response.status_code == 302
    assert not Resource.objects.filter(pk=tracks["cnn"].pk).exists()


def test_the_export_never_names_a_draft_roadmaps_listing(client, learner, tracks):
    progress_set(user=learner, resource=tracks["book"], done=True)
    ResourceFactory(
        topic=Resource.objects.get(title="Draft-only read").topic, title="Secret copy", url=BOOK
    )
    client.force_login(learner)
    body = client.get("/me/export.json").content.decode()
    assert "Secret copy" not in body and "Secret language track" not in body


def test_a_change_of_prerequisites_is_a_new_content_version(tracks):
    from roadmap.content import content_version

    before = content_version()
    tracks["general"].prerequisites.add(tracks["vision"])
    assert content_version() > before


def topic_page(topic, rows: list[dict], *, initial: int = 0) -> dict:
    """Admin's change form of `topic`, with `rows` in its resources' inline (the first
    `initial` of them existing ones)."""
    form = {
        "part": topic.part_id,
        "title": topic.title,
        "slug": topic.slug,
        "order": topic.order,
        "resources-TOTAL_FORMS": str(len(rows)),
        "resources-INITIAL_FORMS": str(initial),
    }
    for n, row in enumerate(rows):
        form |= {
            f"resources-{n}-{name}": value for name, value in {"topic": topic.pk, **row}.items()
        }
    return form


def test_admin_says_so_when_a_url_added_in_a_topics_inline_is_listed_elsewhere(
    admin_client, tracks
):
    existing = Resource.objects.get(title="Draft-only read")
    topic = existing.topic
    rows = [
        {"id": existing.pk, "title": existing.title, "url": existing.url, "order": 1},
        # www. differs: another host
        {"title": "The book, for language", "url": "http://deeplearningbook.org/", "order": 2},
    ]
    kinds = [{"kind": "article", "status": "published"}, {"kind": "book", "status": "published"}]
    form = topic_page(topic, [row | kind for row, kind in zip(rows, kinds, strict=True)], initial=1)
    response = admin_client.post(f"/admin/roadmap/topic/{topic.pk}/change/", form, follow=True)
    assert "also listed" not in response.content.decode()
    form["resources-1-url"] = "HTTPS://www.deeplearningbook.org"
    form["resources-1-title"] = "The book, again"
    response = admin_client.post(f"/admin/roadmap/topic/{topic.pk}/change/", form, follow=True)
    said = response.content.decode()
    assert "The book, again: this URL is also listed in Deep Learning Roadmap / Basics" in said
    assert Resource.objects.get(title="The book, again").work_id == tracks["book"].work_id


def test_nothing_in_a_draft_roadmap_can_be_ticked_or_noted_by_anyone(client, learner, tracks):
    only_in_draft = Resource.objects.get(title="Draft-only read")
    progress = f"/resources/{only_in_draft.public_id}/progress"
    assert client.post(progress, {"done": "1"}).status_code == 404  # a visitor
    client.force_login(learner)
    assert client.post(progress, {"done": "1"}).status_code == 404
    assert client.post(progress, {"done": "1"}, headers=HTMX).status_code == 404
    note = f"/resources/{only_in_draft.public_id}/note"
    assert client.get(note).status_code == 404
    assert client.post(note, {"text": "x"}).status_code == 404
    client.force_login(StaffFactory())
    assert client.post(progress, {"done": "1"}).status_code == 404  # staff preview only
    assert not Progress.objects.exists() and not Note.objects.exists()


def test_without_javascript_a_tick_and_a_note_return_to_the_roadmap_they_came_from(
    client, learner, tracks
):
    client.force_login(learner)
    cnn = tracks["cnn"]
    response = client.post(f"/resources/{cnn.public_id}/progress", {"done": "1"})
    assert response.status_code == 302
    assert response["Location"] == f"/roadmaps/computer-vision/#{cnn.anchor}"
    response = client.post(f"/resources/{cnn.public_id}/note", {"text": "Convolutions"})
    assert response["Location"] == f"/roadmaps/computer-vision/#{cnn.anchor}"
    page = roadmap_page(client, tracks["vision"])
    assert "CNNs marked as done." in page and "Your note was saved." in page


def test_resetting_a_whole_roadmap_clears_its_works_wherever_they_are_listed(
    client, learner, tracks
):
    for resource in ("book", "python", "cnn"):
        progress_set(user=learner, resource=tracks[resource], done=True)
    client.force_login(learner)
    page = client.get("/me/reset/").content.decode()
    assert f'<option value="roadmap-{tracks["vision"].pk}">All of Computer vision</option>' in page
    assert "Secret language track" not in page
    response = client.post(
        "/me/reset/", {"scope": f"roadmap-{tracks['vision'].pk}", "confirm": "RESET"}
    )
    assert response.status_code == 302
    # The book is listed in both roadmaps: cleared in both. Python is not in the track.
    left = Progress.objects.filter(user=learner).values_list("work_id", flat=True)
    assert list(left) == [tracks["python"].work_id]
    assert "“Computer vision” starts over: 2 states cleared." in client.get("/me/").content.decode()
    response = client.post("/me/reset/", {"scope": "roadmap-999999", "confirm": "RESET"})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert Progress.objects.filter(user=learner).count() == 1


def test_the_share_page_never_shows_a_draft_roadmap(client, learner, tracks):
    twin = ResourceFactory(
        topic=Resource.objects.get(title="Draft-only read").topic, title="Draft copy", url=BOOK
    )
    progress_set(user=learner, resource=tracks["book"], done=True)
    token = share_link_enable(user=learner).token
    html = client.get(f"/p/{token}/").content.decode()
    assert "Secret language track" not in html and str(twin.public_id) not in html
    assert "Draft copy" not in html


def test_a_roadmap_never_comes_before_itself(tracks, admin_client):
    """Admin refuses a roadmap as its own prerequisite, or one that already comes after
    it (a circle), and saves nothing; a prerequisite that is none of those saves."""
    from roadmap.admin import RoadmapForm

    general, vision = tracks["general"], tracks["vision"]  # vision comes after general

    def form(roadmap, prerequisites) -> RoadmapForm:
        data = {
            "title": roadmap.title,
            "slug": roadmap.slug,
            "status": roadmap.status,
            "order": roadmap.order,
            "summary": roadmap.summary,
            "introduction": roadmap.introduction,
            "prerequisites": [r.pk for r in prerequisites],
        }
        return RoadmapForm(data, instance=roadmap)

    for roadmap, prerequisites in ((general, [general]), (general, [vision])):
        refused = form(roadmap, prerequisites)
        assert not refused.is_valid()
        assert "cannot come before itself" in str(refused.errors["prerequisites"])
    assert list(general.prerequisites.all()) == []
    assert form(vision, [general]).is_valid()
    assert form(general, [tracks["draft"]]).is_valid()


def test_admin_lists_a_url_once_in_a_roadmap_across_rows_saved_together_and_moved_parts(
    admin_client, tracks
):
    """Two new rows of a topic with one URL, or a part moved into a roadmap that lists one
    of its URLs already: refused with a reason, nothing saved."""
    topic = Resource.objects.get(title="Python").topic
    row = {"kind": "article", "status": "published"}
    form = topic_page(
        topic,
        [
            row | {"title": "Twice, first", "url": "https://twice.example/a", "order": 8},
            row | {"title": "Twice, second", "url": "https://twice.example/a/", "order": 9},
        ],
    )
    answer = admin_client.post(f"/admin/roadmap/topic/{topic.pk}/change/", form)
    assert answer.status_code == 200
    assert "Two of these rows have the same URL" in answer.content.decode()
    assert not Resource.objects.filter(title__startswith="Twice").exists()

    seeing = Resource.objects.get(title="CNNs").topic.part  # vision's, which lists the book
    moved = {
        "roadmap": tracks["general"].pk,  # which lists the book too
        "title": seeing.title,
        "slug": seeing.slug,
        "order": 5,
        "summary": "",
        "status": seeing.status,
        "topics-TOTAL_FORMS": "0",
        "topics-INITIAL_FORMS": "0",
    }
    answer = admin_client.post(f"/admin/roadmap/part/{seeing.pk}/change/", moved)
    assert answer.status_code == 200
    assert "That roadmap lists “The Deep Learning Book” already" in answer.content.decode()
    assert Part.objects.get(pk=seeing.pk).roadmap_id == tracks["vision"].pk
