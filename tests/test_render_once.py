"""Render once, fill per request (roadmap/render_once.py): what a filled page shows, and
the process cache the renderings live in."""

import io
import re
import shutil
import threading
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.template import engines
from django.utils.autoreload import file_changed
from django.utils.safestring import mark_safe

from roadmap.content import content_at, content_version
from roadmap.kept import ProcessCache, code_version
from roadmap.models import Resource, Roadmap
from roadmap.progress import ProgressSummary
from roadmap.render_once import BUILDING, Holes, Rendering
from tests.factories import ResourceFactory
from tests.progress_helpers import HTMX, ROADMAP, tick


class Item:
    def __init__(self, public_id: str) -> None:
        self.public_id = public_id


PAGE = (
    "{% for item in items %}"
    '<li class="r{% by_state item %}{% if state == "done" %} is-done{% endif %}{% end_by_state %}">'
    '<input{% by_state item %}{% if state == "done" %} checked{% endif %}{% end_by_state %}>'
    "</li>{% endfor %}"
    '<input name="csrf" value="{% hole "csrf_token" %}">'
    '{% progress_bar "roadmap" 1 "Overall" %}'
    "<p>{% percent 'roadmap' 1 %}% of {% hole 'name' %}</p>{% hole 'messages' %}"
)


def built(source: str = PAGE, **context) -> Rendering:
    holes = Holes()
    html = (
        engines["django"]
        .from_string(source)
        .render({"items": [Item("a"), Item("b")], BUILDING: holes, **context})
    )
    return Rendering(html, holes.found)


def summary(done: int, total: int) -> ProgressSummary:
    where = ("roadmap", 1)
    return ProgressSummary(Counter({where: total}), Counter({where: done}), Counter())


def test_a_rendering_is_filled_with_one_requests_states_figures_and_values():
    page = (
        built()
        .fill(
            states={"b": "done"},
            progress=summary(1, 3),
            csrf_token="TOKEN",
            name="<b>Ada</b>",
            messages=mark_safe("<ul>hi</ul>"),
        )
        .decode()
    )
    assert '<li class="r"><input></li><li class="r is-done"><input checked></li>' in page
    assert 'value="TOKEN"' in page
    assert 'aria-valuenow="33"' in page and "1 done of 3" in page
    assert "<p>33% of &lt;b&gt;Ada&lt;/b&gt;</p><ul>hi</ul>" in page  # text escaped, markup not


def test_only_markup_that_is_known_safe_goes_in_as_it_is():
    with pytest.raises(TypeError, match="filled rendering"):
        built().fill(csrf_token="t", name="x", messages=b"<script>alert(1)</script>")
    inner = built("{% hole 'name' %}").fill_value(name="<b>")
    page = built().fill(csrf_token="t", name="x", messages=inner).decode()
    assert "&lt;b&gt;" in page


def test_filling_leaves_the_rendering_as_it_was_for_the_next_request():
    rendering = built()
    rendering.fill(
        states={"a": "done", "b": "done"},
        progress=summary(3, 3),
        csrf_token="ONE",
        name="x",
        messages="",
    )
    second = rendering.fill(
        progress=summary(0, 3), csrf_token="TWO", name="y", messages=""
    ).decode()
    assert "is-done" not in second and "checked" not in second and "ONE" not in second
    assert 'aria-valuenow="0"' in second and "0 done of 3" in second


def test_template_logic_sees_real_figures_never_a_stand_in():
    source = '{% progress_bar "roadmap" 1 "Overall" %}'
    full = built(source).fill(progress=summary(3, 3)).decode()
    assert 'aria-valuenow="100"' in full and "3 done of 3" in full


def test_a_keyed_hole_takes_what_its_mapping_holds_and_is_empty_otherwise():
    source = '{% for item in items %}<p>{% hole "notes" item.public_id %}</p>{% endfor %}'
    rendering = built(source)
    page = rendering.fill(notes={"b": mark_safe("<em>mine</em>"), "z": "gone"}).decode()
    assert page == "<p></p><p><em>mine</em></p>"
    assert rendering.fill(notes={"a": "<i>"}).decode() == "<p>&lt;i&gt;</p><p></p>"
    with pytest.raises(KeyError):
        rendering.fill()


def test_a_keyed_hole_may_say_what_it_shows_when_its_key_is_not_given():
    """The default is the template's own text; what `fill` gives is escaped."""
    source = '{% for item in items %}<p>{% hole "label" item.public_id "Start" %}</p>{% endfor %}'
    rendering = built(source)
    page = rendering.fill(label={"b": "<Continue>"}).decode()
    assert page == "<p>Start</p><p>&lt;Continue&gt;</p>"
    outside = engines["django"].from_string(source).render({"items": [Item("a")], "label": {}})
    assert outside == "<p>Start</p>"


def test_a_rendering_refuses_to_go_out_with_a_hole_unfilled():
    with pytest.raises(KeyError):
        built().fill(progress=summary(0, 3), csrf_token="TOKEN", name="x")


def test_a_state_branch_may_not_hold_another_hole():
    source = '{% by_state item %}<input value="{% hole "csrf_token" %}">{% end_by_state %}'
    with pytest.raises(ValueError, match="may not hold another hole"):
        built(source, item=Item("a"))


def test_outside_a_rendering_made_once_the_tags_render_at_once():
    source = (
        '{% by_state item %}{% if state == "done" %}done{% else %}not yet{% endif %}{% end_by_state %}'
        ' {% percent "roadmap" 1 %}% {% hole "name" %}'
    )
    html = (
        engines["django"]
        .from_string(source)
        .render(
            {"item": Item("a"), "states": {"a": "done"}, "progress": summary(1, 2), "name": "<i>"}
        )
    )
    assert html == "done 50% &lt;i&gt;"


def test_the_layouts_own_values_come_from_the_request_whether_made_once_or_not(rf):
    """`{% from_request %}`: the CSRF token and the messages waiting are the request's, in
    a page made once (filled from the request) and in a plain render alike; a page made
    once never goes out without them."""
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.messages import success
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.template.loader import render_to_string

    def request_with(message: str):
        request = rf.get("/")
        request.session, request.COOKIES = {}, {}
        request.user = AnonymousUser()
        request._messages = FallbackStorage(request)
        success(request, message)
        return request

    source = '<i>{% from_request "csrf_token" %}</i>{% from_request "messages" %}'
    rendering = built(source)
    once = request_with("Made <once>")
    page = rendering.fill(request=once).decode()
    assert re.search(r"<i>\w{64}</i>", page) and once.META["CSRF_COOKIE"]  # made for it
    assert "Made &lt;once&gt;" in page and 'role="status"' in page
    with pytest.raises(KeyError, match="request"):
        rendering.fill()
    plain = request_with("Rendered plainly")
    html = engines["django"].from_string(source).render(request=plain)
    assert re.search(r"<i>\w{64}</i>", html) and plain.META["CSRF_COOKIE"]
    assert "Rendered plainly" in html
    assert render_to_string("base.html#messages", {"messages": ["x"]}).count("<li") == 1


def test_the_process_cache_builds_each_key_once_however_many_threads_ask():
    cache, builds, answers = ProcessCache(), [], []
    building, release = threading.Event(), threading.Event()

    def build():
        builds.append(1)
        building.set()
        release.wait(timeout=10)  # held open while the others ask
        return "page"

    first = threading.Thread(target=lambda: answers.append(cache.get((1, "page"), build)))
    first.start()
    assert building.wait(timeout=10)
    others = [
        threading.Thread(target=lambda: answers.append(cache.get((1, "page"), build)))
        for _ in range(7)
    ]
    for thread in others:
        thread.start()
    release.set()
    for thread in [first, *others]:
        thread.join(timeout=10)
    assert builds == [1]
    assert answers == ["page"] * 8


def test_the_process_cache_keeps_the_two_newest_versions():
    cache = ProcessCache(versions=2)
    for version in (1, 2, 3):
        cache.get((version, "page"), lambda version=version: f"v{version}")
    assert cache.get((1, "page"), lambda: "rebuilt") == "rebuilt"  # dropped
    assert cache.get((3, "page"), lambda: "rebuilt") == "v3"  # kept


def test_a_build_that_fails_is_tried_again_and_leaves_nothing_behind():
    cache = ProcessCache()

    def fail():
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        cache.get((1, "page"), fail)
    assert cache.get((1, "page"), lambda: "built") == "built"


def test_content_asked_for_at_an_outdated_version_comes_with_its_own(db):
    resource = ResourceFactory()
    old = content_version()
    assert str(resource.public_id) in content_at(old).by_public_id
    Resource.objects.filter(pk=resource.pk).update(status=Resource.Status.ARCHIVED)
    newer = content_at(old - 1)  # never cached: read now, so at the newer version
    assert newer.version == content_version() > old
    assert str(resource.public_id) not in newer.by_public_id
    # ...and kept under its own version only: the old version still has the resource.
    assert str(resource.public_id) in content_at(old).by_public_id


def test_the_process_cache_keeps_each_scopes_two_newest_versions_apart():
    """A roadmap's new version drops that roadmap's old values only."""
    cache = ProcessCache(versions=2)
    cache.get((("roadmap", 1, 10), "page"), lambda: "a10")
    cache.get((("roadmap", 2, 11), "page"), lambda: "b11")
    for version in (12, 13):
        cache.get((("roadmap", 1, version), "page"), lambda version=version: f"a{version}")
    assert cache.get((("roadmap", 2, 11), "page"), lambda: "rebuilt") == "b11"  # kept
    assert cache.get((("roadmap", 1, 10), "page"), lambda: "rebuilt") == "rebuilt"  # dropped


def renders_of(client, template: str) -> float:
    """How often this process has rendered `template` once for everybody (/metrics)."""
    metrics = client.get("/metrics").content.decode()
    found = re.search(
        rf'^roadmap_renderings_total{{template="{re.escape(template)}"}} (\S+)$', metrics, re.M
    )
    return float(found.group(1)) if found else 0.0


def test_an_edit_in_one_roadmap_leaves_the_others_pages_as_they_were_kept(client, db):
    """An edit costs what it changed: roadmap B's kept page is served as it was after an
    edit in roadmap A, whose own page shows the edit on the next request."""
    from tests.factories import build_roadmap

    build_roadmap(parts=2, topics_per_part=2, resources_per_topic=3)
    build_roadmap(parts=2, topics_per_part=2, resources_per_topic=3, slug="vision", order=2)
    first = Resource.objects.filter(topic__part__roadmap__slug="deep-learning").first()
    page = "roadmap/roadmap.html"
    for slug in ("deep-learning", "vision"):
        assert client.get(f"/roadmaps/{slug}/").status_code == 200
    before = renders_of(client, page)
    first.title = "Renamed in A"
    first.save()
    assert "Renamed in A" not in client.get("/roadmaps/vision/").content.decode()
    assert renders_of(client, page) == before  # B's page as it was kept
    assert "Renamed in A" in client.get("/roadmaps/deep-learning/").content.decode()
    assert renders_of(client, page) == before + 1  # A's, rendered again
    # A's title shows on B's page (its prerequisite): renaming A renders B again.
    vision = Roadmap.objects.get(slug="vision")
    vision.prerequisites.add(first.topic.part.roadmap)
    assert "Deep Learning Roadmap" in client.get("/roadmaps/vision/").content.decode()
    Roadmap.objects.filter(slug="deep-learning").update(title="Deep Learning, again")
    assert "Deep Learning, again" in client.get("/roadmaps/vision/").content.decode()


def test_a_share_page_shows_an_edit_at_once_and_keeps_the_other_roadmaps_parts(client, db):
    """Each roadmap on a share page is made once for every share page (whoever owns or
    views it) and made again only for the roadmap edited."""
    from roadmap.services import progress_set, share_link_enable
    from tests.factories import UserFactory, build_roadmap

    build_roadmap(parts=1, topics_per_part=2, resources_per_topic=3)
    build_roadmap(parts=1, topics_per_part=2, resources_per_topic=3, slug="vision", order=2)
    owners = [UserFactory(), UserFactory()]
    links = []
    for owner in owners:
        for slug in ("deep-learning", "vision"):
            resource = Resource.objects.filter(topic__part__roadmap__slug=slug).first()
            progress_set(user=owner, resource=resource, state="done")
        links.append(share_link_enable(user=owner).get_absolute_url())
    parts = "roadmap/shared.html#shared-roadmap"
    before = renders_of(client, parts)
    for link in links:
        page = client.get(link).content.decode()
        assert page.count('class="tick tick-done"') == 2  # one done in each roadmap
    assert renders_of(client, parts) == before + 2  # once per roadmap, for both owners
    first = Resource.objects.filter(topic__part__roadmap__slug="vision").last()
    first.title = "Renamed in vision"
    first.save()
    assert "Renamed in vision" in client.get(links[1]).content.decode()
    assert "Renamed in vision" in client.get(links[0]).content.decode()
    assert renders_of(client, parts) == before + 3  # vision's again; the other's kept


def test_a_rendering_is_made_once_for_every_process_that_shares_the_cache(db):
    """What one worker renders, another fetches from Django's cache instead of rendering
    it again; each keeps its local copy, and a failed fetch never stands for a build."""
    here, there, builds = ProcessCache(), ProcessCache(), []

    def build():
        builds.append(1)
        return Rendering("<p>page</p>", [])

    key = (("roadmap", 1, 7), "roadmap/roadmap.html", "visitor")
    assert here.get(key, build, shared=True).fill() == b"<p>page</p>"
    assert there.get(key, build, shared=True).fill() == b"<p>page</p>"
    assert builds == [1]
    other = (("roadmap", 1, 8), "roadmap/roadmap.html", "visitor")
    there.get(other, build, shared=True)
    assert builds == [1, 1]  # another version: rendered


def rows_made(client) -> float:
    metrics = client.get("/metrics").content.decode()
    found = re.search(r"^roadmap_rows_rendered_total (\S+)$", metrics, re.M)
    return float(found.group(1)) if found else 0.0


def test_an_edit_makes_one_row_again_and_the_page_from_the_rows_it_had(client, db):
    from tests.factories import build_roadmap

    build_roadmap(parts=2, topics_per_part=2, resources_per_topic=3)
    before = rows_made(client)
    client.get("/roadmaps/deep-learning/")
    assert rows_made(client) == before + 2 * 12  # each row: what it shows, and its tail
    edited = Resource.objects.order_by("pk")[4]
    edited.title = "Renamed, one row"
    edited.save()
    page = client.get("/roadmaps/deep-learning/").content.decode()
    assert "Renamed, one row" in page
    assert rows_made(client) == before + 2 * 13
    # The rows a page is put together from hold each learner's own state all the same.
    from tests.factories import UserFactory
    from tests.progress_helpers import tick, ticked

    client.force_login(UserFactory())
    tick(client, edited, done=True)
    assert ticked(client.get("/roadmaps/deep-learning/").content.decode()) == {
        str(edited.public_id)
    }


def test_a_worker_that_took_a_page_from_the_shared_cache_makes_only_the_edited_row(client, db):
    """A process that fetched a page has none of its rows; the next edit makes it take
    them from the shared cache, not render every row again."""
    from roadmap.render_once import forget_everything
    from tests.factories import build_roadmap

    build_roadmap(parts=2, topics_per_part=2, resources_per_topic=3)
    client.get("/roadmaps/deep-learning/")  # one worker makes the page
    forget_everything()  # another worker
    before_fetch = rows_made(client)
    client.get("/roadmaps/deep-learning/")  # takes it from the shared cache
    assert rows_made(client) == before_fetch  # and makes no row
    edited = Resource.objects.order_by("pk")[7]
    edited.title = "Renamed where the page was fetched"
    edited.save()
    page = client.get("/roadmaps/deep-learning/").content.decode()
    assert "Renamed where the page was fetched" in page
    assert rows_made(client) == before_fetch + 2  # the edited row: what it shows, its tail


def test_a_row_needs_a_template_with_a_name_to_be_kept_by():
    """Rows are kept by their template's name and place in it, the same in every process:
    a template made from a string has none, and is refused rather than kept under None."""
    from django.template import TemplateSyntaxError

    with pytest.raises(TemplateSyntaxError, match="template's name"):
        engines["django"].from_string("{% row resource counted %}{% endrow %}")


def test_what_changes_nothing_shown_makes_no_page_again(client, db, monkeypatch):
    """The weekly link check (what admin alone shows), a save that changes no value and an
    import of a roadmap as it is: every kept page is served as it was, in every roadmap."""
    from roadmap.links import LinkResult
    from roadmap.management.commands import check_links
    from roadmap.progress import learner_state
    from roadmap.roadmap_markdown import export_roadmap_markdown, parse_roadmap
    from roadmap.services import progress_set, roadmap_import
    from tests.factories import UserFactory, build_roadmap

    build_roadmap(parts=2, topics_per_part=2, resources_per_topic=3)
    build_roadmap(parts=2, topics_per_part=2, resources_per_topic=3, slug="vision", order=2)
    pages = ("/roadmaps/deep-learning/", "/roadmaps/vision/")
    for page in pages:
        assert client.get(page).status_code == 200
    before = renders_of(client, "roadmap/roadmap.html")
    # What a learner's kept pieces of / and /me/ are named by, and the site's version.
    learner = UserFactory()
    progress_set(user=learner, resource=Resource.objects.first(), state="done")
    standing, version = learner_state(user=learner).fingerprint, content_version()

    def every_link_answers(urls, **_options):
        return {url: LinkResult(status=200) for url in urls}

    monkeypatch.setattr(check_links, "check_urls", every_link_answers)
    call_command("check_links", stdout=io.StringIO())
    assert Resource.objects.filter(link_status=200).count() == 24
    Resource.objects.first().save()
    roadmap_import(document=parse_roadmap(export_roadmap_markdown("vision")), slug="vision")
    for page in pages:
        assert client.get(page).status_code == 200
    assert renders_of(client, "roadmap/roadmap.html") == before  # each as it was kept
    assert (learner_state(user=learner).fingerprint, content_version()) == (standing, version)
    # What does change shows at once, and costs its roadmap's page alone, made again of
    # the rows it was made of but the one renamed (its row and its tail).
    rows = rows_made(client)
    Resource.objects.filter(
        pk=Resource.objects.filter(topic__part__roadmap__slug="vision")[0].pk
    ).update(title="Renamed")
    assert b"Renamed" in client.get("/roadmaps/vision/").content
    assert client.get(pages[0]).status_code == 200
    assert renders_of(client, "roadmap/roadmap.html") == before + 1
    assert rows_made(client) == rows + 2


@pytest.mark.parametrize(
    "where",
    ["static/css/release-probe.css", "roadmap/release_probe.py", "config/release_probe.py"],
)
def test_a_release_that_changes_any_of_the_project_names_its_renderings_apart(settings, where):
    """Kept renderings are kept a day in the shared cache. A release that changed only a
    stylesheet (a page names it by its digest: the last release's is gone), a label in
    Python or a setting took the last release's pages as its own: they must be named
    apart, as a changed template's are."""
    from pathlib import Path

    from roadmap.kept import code_version, shared_key

    code_version.cache_clear()
    before = shared_key(("a page",))
    probe = Path(settings.BASE_DIR, where)
    try:
        probe.write_text("/* a release's change */\n")
        code_version.cache_clear()
        assert shared_key(("a page",)) != before
    finally:
        probe.unlink(missing_ok=True)
        code_version.cache_clear()
    assert shared_key(("a page",)) == before


# A template edited under the development server (`make run`) shows on the next request:
# Django reads it again without restarting, and README's "To add a field to a row ...
# nothing else changes" leads a newcomer to expect it.
# The row's level badge, before and after the edit.
OLD = 'class="badge badge-level"'
NEW = 'class="badge badge-level" data-edited'


@pytest.fixture
def editable_templates(settings, tmp_path):
    """The project's templates, copied where a test may edit them, standing as the
    project's own (BASE_DIR/templates, as `code_version` digests them)."""
    shutil.copytree(Path(django_settings.BASE_DIR) / "templates", tmp_path / "templates")
    settings.BASE_DIR = tmp_path
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path / "templates"]}]
    code_version.cache_clear()
    yield tmp_path / "templates"
    code_version.cache_clear()


def edit_row(templates: Path) -> None:
    """What a newcomer does to a row's markup, and what runserver's reloader then sends."""
    page = templates / "roadmap/roadmap.html"
    page.write_text(page.read_text().replace(OLD, NEW))
    file_changed.send(sender=None, file_path=page)


def test_a_row_edited_in_the_template_shows_on_the_next_page(client, db, editable_templates):
    ResourceFactory(title="Deep Learning", level="beginner")
    assert OLD in client.get(ROADMAP).content.decode()
    edit_row(editable_templates)
    html = client.get(ROADMAP).content.decode()
    assert NEW in html


def test_a_row_edited_in_the_template_shows_in_the_next_ticks_answer(
    client, db, editable_templates
):
    resource = ResourceFactory(title="Deep Learning", level="beginner")
    assert OLD in tick(client, resource, done=True, htmx=True).content.decode()
    edit_row(editable_templates)
    answer = client.post(
        f"/resources/{resource.public_id}/progress", {"done": ["0"]}, headers=HTMX
    ).content.decode()
    assert NEW in answer


def test_the_home_page_edited_in_its_template_shows_on_the_next_look(
    client, db, editable_templates
):
    ResourceFactory(title="Deep Learning")
    assert "data-edited" not in client.get("/").content.decode()
    page = editable_templates / "roadmap/home.html"
    page.write_text(
        page.read_text().replace('class="roadmap-card"', 'class="roadmap-card" data-edited')
    )
    file_changed.send(sender=None, file_path=page)
    assert 'class="roadmap-card" data-edited' in client.get("/").content.decode()


def test_a_plain_page_draws_the_viewer_s_figures_unless_its_view_says_whose(client, db):
    """A page a newcomer adds draws figures with the tags the roadmap page uses, and
    they are the viewer's own without the view passing them (a figure drawn as 0% for
    want of them was a trap); a view that passes `progress` (a share page, its owner's)
    draws those."""
    from django.test import RequestFactory

    from roadmap.services import progress_set
    from tests.factories import UserFactory, resources_in_one_topic

    first, _second = resources_in_one_topic(2)
    roadmap = first.topic.part.roadmap
    ada = UserFactory()
    progress_set(user=ada, resource=first, done=True)
    request = RequestFactory().get("/")
    request.user, request.session = ada, client.session
    page = engines["django"].from_string(
        '{% load render_once %}{% percent "roadmap" pk %}% {% progress_bar "roadmap" pk "Overall" %}'
    )
    drawn = page.render({"pk": roadmap.pk}, request)
    assert drawn.startswith("50%") and 'aria-valuenow="50"' in drawn
    nobody_s = page.render({"pk": roadmap.pk, "progress": None}, request)
    assert nobody_s.startswith("0%") and 'aria-valuenow="0"' in nobody_s


def test_a_share_page_edited_in_its_template_shows_on_the_next_look(client, db, editable_templates):
    from roadmap.services import progress_set, share_link_enable
    from tests.factories import UserFactory, resources_in_one_topic

    [resource] = resources_in_one_topic(1)
    ada = UserFactory(display_name="Ada")
    progress_set(user=ada, resource=resource, done=True)
    url = share_link_enable(user=ada).get_absolute_url()
    assert 'class="shared-roadmap"' in client.get(url).content.decode()
    page = editable_templates / "roadmap/shared.html"
    page.write_text(
        page.read_text().replace('class="shared-roadmap"', 'class="shared-roadmap" data-edited')
    )
    file_changed.send(sender=None, file_path=page)
    assert "data-edited" in client.get(url).content.decode()
