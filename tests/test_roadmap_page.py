"""The public roadmap at `/`: content, visibility rules, safety and query budget."""

import re

import html5lib
import pytest

from roadmap.models import Part, Resource, Roadmap
from tests.factories import PartFactory, ResourceFactory, TopicFactory, build_roadmap
from tests.progress_helpers import ROADMAP, SHARED_MISS, queries_cold_and_warm

SEED_TITLES = [
    "Learn Python The Hard Way",
    "Mathematics for Machine Learning Specialization - Coursera",
    "Practical Statistics for Data Scientists, 2nd Edition",
    "Data Science from Scratch, 2nd Edition",
    "Hands-On Machine Learning with Scikit-Learn, Keras, and TensorFlow, 2nd Edition (First part only)",
]


def test_seed_roadmap_shows_every_resource_in_order(client, seed):
    html = client.get(ROADMAP).content.decode()
    positions = [html.index(title) for title in SEED_TITLES]
    assert positions == sorted(positions)
    assert "Here is a list of high quality resources" in html
    assert "<strong>It is presumed" in html


def test_resource_links_open_safely(client, seed):
    html = client.get(ROADMAP).content.decode()
    link = re.search(
        r'<a class="resource-title" href="https://learnpythonthehardway.org/python3/"[^>]*>', html
    )
    assert link and 'rel="noopener noreferrer"' in link.group(0)


def test_coming_soon_parts_are_marked_and_show_no_resources(client, seed):
    part = Part.objects.get(slug="deep-learning-basics")
    ResourceFactory(topic=TopicFactory(part=part), title="Not written yet")
    html = client.get(ROADMAP).content.decode()
    for title in ["Deep learning basics", "We need to get deeper"]:
        section = html[html.index(f"{title}</a>") :]
        assert section.index("Coming soon") < 120
    assert 'id="part-deep-learning-basics"' in html
    assert "Not written yet" not in html


def test_table_of_contents_links_to_parts_and_topics(client, seed):
    html = client.get(ROADMAP).content.decode()
    toc = html[html.index('class="toc"') : html.index("</nav>", html.index('class="toc"'))]
    assert '<a href="#part-pre-requisites">Pre-requisites</a>' in toc
    assert '<a href="#topic-pre-requisites-math">Math</a>' in toc
    assert 'id="topic-pre-requisites-math"' in html


STAFF_ONLY = [
    "Secret draft part",
    "Draft resource",
    "Archived resource",
    "Resource in a draft part",
]


@pytest.fixture
def staff_only_content(db):
    published = PartFactory(title="Visible part")
    draft = PartFactory(
        title="Secret draft part", status=Part.Status.DRAFT, roadmap=published.roadmap
    )
    topic = TopicFactory(part=published)
    ResourceFactory(topic=topic, title="Public resource")
    ResourceFactory(topic=topic, title="Draft resource", status=Resource.Status.DRAFT)
    ResourceFactory(topic=topic, title="Archived resource", status=Resource.Status.ARCHIVED)
    ResourceFactory(topic=TopicFactory(part=draft), title="Resource in a draft part")


@pytest.mark.usefixtures("staff_only_content")
def test_visitors_and_learners_see_no_staff_only_content(client, learner):
    for who in [None, learner]:
        if who:
            client.force_login(who)
        html = client.get(ROADMAP).content.decode()
        assert "Public resource" in html
        for hidden in STAFF_ONLY:
            assert hidden not in html


@pytest.mark.usefixtures("staff_only_content")
def test_staff_see_drafts_and_archived_resources_marked(client, curator):
    client.force_login(curator)
    html = client.get(ROADMAP).content.decode()
    for shown in STAFF_ONLY:
        assert shown in html
    assert '<span class="badge badge-staff">Archived</span>' in html
    assert '<span class="badge badge-staff">Draft</span>' in html


def test_markdown_in_descriptions_is_rendered_and_scripts_are_inert(client, db):
    ResourceFactory(
        description=(
            "Read **this** first.\n\n<script>alert('x')</script>\n\n"
            "[click](javascript:alert(1)) [data](data:text/html;base64,PHNjcmlwdD4=) "
            '<img src=x onerror="alert(2)">'
        )
    )
    html = client.get(ROADMAP).content.decode()
    assert "<strong>this</strong>" in html
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    assert "javascript:" not in html.lower().replace("[click](javascript:", "")
    assert 'href="javascript' not in html and 'href="data:' not in html
    assert "<img" not in html


def test_a_title_with_html_is_escaped(client, db):
    ResourceFactory(title="<b>Bold</b> claims")
    html = client.get(ROADMAP).content.decode()
    assert "&lt;b&gt;Bold&lt;/b&gt; claims" in html


def test_unknown_urls_get_the_styled_404(client, db):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    assert "/static/css/site.css" in html
    assert 'href="/"' in html


def test_roadmap_page_only_answers_get(client, db):
    assert client.post("/").status_code == 405


def test_the_home_page_is_served_even_before_any_content_exists(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert "There is no roadmap yet." in response.content.decode()
    assert client.get(ROADMAP).status_code == 404


@pytest.mark.parametrize("who", ["visitor", "curator"])
def test_query_count_does_not_grow_with_content(client, db, curator, who):
    """Two sizes of roadmap, one budget: the seed's shape and 520 resources."""
    if who == "curator":
        client.force_login(curator)
    # The first request after a content change reads the content and renders the page
    # (cold); later ones only read the content version, with a learner's own state (warm).
    budget = {"curator": (15 + SHARED_MISS, 3), "visitor": (13 + SHARED_MISS, 1)}[who]

    def queries_for_page() -> tuple[int, int]:
        return queries_cold_and_warm(lambda: client.get(ROADMAP))

    build_roadmap(parts=1, topics_per_part=3, resources_per_topic=2)
    small = queries_for_page()
    Roadmap.objects.all().delete()
    build_roadmap(parts=10, topics_per_part=4, resources_per_topic=13)
    assert Resource.objects.count() == 520
    large = queries_for_page()
    assert small == large
    assert small == budget, small


@pytest.mark.parametrize("path", ["/", "/no/such/page/"])
def test_pages_are_valid_html5(client, seed, curator, path):
    for who in [None, curator]:
        if who:
            client.force_login(who)
        html5lib.HTMLParser(strict=True).parse(client.get(path).content)


@pytest.mark.parametrize("who", ["visitor", "learner", "curator"])
def test_a_content_change_shows_at_once_whatever_made_it(client, seed, learner, curator, who):
    """Pages are rendered once per content version; any write bumps the version."""
    if who != "visitor":
        client.force_login({"learner": learner, "curator": curator}[who])
    assert "Learn Python The Hard Way" in client.get(ROADMAP).content.decode()
    Resource.objects.filter(title="Learn Python The Hard Way").update(title="Changed in bulk")
    html = client.get(ROADMAP).content.decode()
    assert "Changed in bulk" in html and "Learn Python The Hard Way" not in html
    Part.objects.filter(slug="pre-requisites").update(status=Part.Status.DRAFT)
    html = client.get(ROADMAP).content.decode()
    assert ("Changed in bulk" in html) == (who == "curator")


def test_every_page_names_its_icon_so_browsers_do_not_ask_for_favicon_ico(client, db):
    from django.contrib.staticfiles import finders

    for path in ("/", "/search/", "/no/such/page/"):
        html = client.get(path).content.decode()
        assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html
    assert finders.find("favicon.svg")
