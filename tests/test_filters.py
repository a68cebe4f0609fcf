"""A roadmap page's filters: `kind`, `level`, `cost` and `state` as GET parameters, what
they show and hide, and that they never change what counts."""

import json
import re

import html5lib
import pytest

from roadmap.models import Resource
from tests.factories import PartFactory, ResourceFactory, TopicFactory, UserFactory
from tests.progress_helpers import ROADMAP, bars, count_queries, tick

BOOK, COURSE, VIDEO = Resource.Kind.BOOK, Resource.Kind.COURSE, Resource.Kind.VIDEO


@pytest.fixture
def shelf(db):
    """Two parts: the first with a topic of books and courses and a topic of videos, the
    second with videos only."""
    first, second = PartFactory(title="Foundations"), PartFactory(title="Going further")
    reading, watching = TopicFactory(part=first, title="Reading"), TopicFactory(part=first)
    later = TopicFactory(part=second, title="Later talks")
    return {
        "deep learning book": ResourceFactory(
            topic=reading, title="Deep Learning Book", kind=BOOK, level="advanced", cost="free"
        ),
        "python book": ResourceFactory(
            topic=reading, title="Python Book", kind=BOOK, level="beginner", cost="paid"
        ),
        "course": ResourceFactory(
            topic=reading, title="Intro Course", kind=COURSE, level="beginner", cost="free"
        ),
        "lecture": ResourceFactory(topic=watching, title="A Lecture", kind=VIDEO, cost="free"),
        "talk": ResourceFactory(topic=later, title="A Late Talk", kind=VIDEO, level="advanced"),
    }


def titles(html: str) -> set[str]:
    return set(re.findall(r'class="resource-title"[^>]*>([^<]+)<', html))


def test_a_kind_shows_only_its_resources_and_folds_what_has_none(client, shelf):
    html = client.get(ROADMAP, {"kind": "book"}).content.decode()
    assert titles(html) == {"Deep Learning Book", "Python Book"}
    # The topic of videos and the part of videos fold away, in the contents too.
    assert "Going further" not in html
    assert "Later talks" not in html
    assert ">Reading</a>" in html  # its entry in the contents stays
    assert "Showing 2 of 5 resources: the filters hide 3." in html
    assert f'<a href="{ROADMAP}">Clear filters</a>' in html
    html5lib.HTMLParser(strict=True).parse(html)  # what is left is still whole


def test_repeated_values_are_either_and_filters_are_both(client, shelf):
    either = client.get(ROADMAP, {"kind": ["book", "course"]}).content.decode()
    assert titles(either) == {"Deep Learning Book", "Python Book", "Intro Course"}
    both = client.get(ROADMAP, {"kind": ["book", "course"], "level": "beginner"})
    assert titles(both.content.decode()) == {"Python Book", "Intro Course"}
    free = client.get(ROADMAP, {"cost": "free", "level": "advanced"}).content.decode()
    assert titles(free) == {"Deep Learning Book"}


def test_without_filters_the_page_shows_everything_and_says_nothing_is_hidden(client, shelf):
    html = client.get(ROADMAP).content.decode()
    assert len(titles(html)) == 5
    assert "the filters hide" not in html


def test_the_form_has_a_fieldset_per_filter_with_counts_and_keeps_the_choice(client, shelf):
    html = client.get(ROADMAP, {"kind": "book"}).content.decode()
    form = html[html.index('<form class="filters"') : html.index("</form>", html.index("filters"))]
    assert 'method="get"' in form
    for legend in ("Kind", "Level", "Cost", "Status"):
        assert f"<legend>{legend}</legend>" in form
    for label in ("Book", "Beginner", "Free", "Not started", "In progress", "Done", "Skipped"):
        assert re.search(rf'<input type="checkbox"[^>]*>{label}</label>', form), label
    assert re.search(r'name="kind" value="book"[^>]*checked', form)
    assert not re.search(r'name="kind" value="video"[^>]*checked', form)
    # Each option's count: what it would show with the other filters as they are.
    count = dict(re.findall(r'id="filter-([\w-]+)-count">(\d+)<', form))
    assert count["kind-book"] == "2"  # the kinds' counts leave the kind filter out
    assert count["kind-video"] == "2"
    assert count["level-beginner"] == "1"  # of the books, one is for beginners
    assert count["cost-paid"] == "1"
    assert count["state-not_started"] == "2"
    assert "Filter</button>" in form


def test_state_filters_by_the_viewers_own_states(client, shelf):
    me, other = UserFactory(), UserFactory()
    client.force_login(other)
    tick(client, shelf["python book"], done=True)
    client.force_login(me)
    tick(client, shelf["deep learning book"], done=True)
    wanted = {"state": "not_started", "kind": "book"}
    assert titles(client.get(ROADMAP, wanted).content.decode()) == {"Python Book"}
    done = client.get(ROADMAP, {"state": "done"}).content.decode()
    assert titles(done) == {"Deep Learning Book"}
    client.force_login(other)
    assert titles(client.get(ROADMAP, wanted).content.decode()) == {"Deep Learning Book"}


def test_a_visitors_ticks_filter_too(client, shelf):
    tick(client, shelf["course"], done=True)
    html = client.get(ROADMAP, {"state": "done"}).content.decode()
    assert titles(html) == {"Intro Course"}


def test_a_filter_changes_what_is_shown_never_what_counts(client, shelf, learner):
    client.force_login(learner)
    tick(client, shelf["lecture"], done=True)
    everything = bars(client.get(ROADMAP).content.decode())
    filtered = bars(client.get(ROADMAP, {"kind": "book"}).content.decode())
    assert filtered["overall"] == everything["overall"] == 20
    assert all(filtered[name] == everything[name] for name in filtered)


@pytest.mark.parametrize(
    "query",
    [{"kind": "magazine"}, {"state": "finished"}, {"level": ""}, {"cost": "free", "kind": "x"}],
)
def test_an_unknown_value_is_a_clear_400(client, shelf, query):
    response = client.get(ROADMAP, query)
    assert response.status_code == 400
    page = response.content.decode()
    assert "must be one of" in page and "<!doctype html>" in page
    assert f'<a href="{ROADMAP}">See the whole page instead</a>' in page  # no way lost
    answer = client.get(ROADMAP, query, headers={"HX-Request": "true"})  # said in the alert
    assert answer.status_code == 400 and "must be one of" in answer.content.decode()


def test_with_htmx_the_form_swaps_the_body_in_place_and_pushes_the_url(client, shelf):
    html = client.get(ROADMAP).content.decode()
    form = html[html.index('<form class="filters"') :]
    for attribute in (
        'hx-get="/roadmaps/deep-learning/"',
        'hx-target="#roadmap-body"',
        'hx-select="#roadmap-body"',
        'hx-push-url="true"',
    ):
        assert attribute in form[: form.index(">")]
    assert 'id="roadmap-body"' in html
    # A status (read out when it changes); the page's one aria-live region stays the
    # announcer of ticks, which a test finds by that attribute.
    assert '<p id="filter-summary" class="filter-summary" role="status">' in html
    assert html.count("aria-live") == 1 and 'id="progress-announcer"' in html


def test_filters_cost_no_more_queries(client, shelf, learner):
    client.force_login(learner)
    client.get(ROADMAP)
    plain = count_queries(lambda: client.get(ROADMAP))
    filtered = count_queries(lambda: client.get(ROADMAP, {"kind": "book", "state": "done"}))
    assert filtered == plain


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"kind": "book"},
        {"level": "beginner", "cost": "free"},
        {"state": "done", "kind": "video"},
    ],
)
def test_each_options_count_is_what_choosing_it_alone_would_show(client, shelf, learner, query):
    client.force_login(learner)
    tick(client, shelf["lecture"], done=True)
    tick(client, shelf["python book"], done=True)
    form = client.get(ROADMAP, query).content.decode()
    counts = dict(re.findall(r'id="filter-([\w-]+)-count">(\d+)<', form))
    for option, count in counts.items():
        name, value = option.split("-", 1)
        alone = {**query, name: value}  # this filter's other values off, the rest as they are
        assert len(titles(client.get(ROADMAP, alone).content.decode())) == int(count), option


def test_a_tick_in_place_has_the_filter_form_count_again(client, shelf, learner):
    """The tick's answer says "progress-changed"; the form's counts then come alone (for
    the form's options as they are), each to take its own place: the form's checkboxes,
    the rows and the figures stay as the page has them."""
    client.force_login(learner)
    query = {"state": "not_started", "kind": "book"}
    page = client.get(ROADMAP, query).content.decode()
    assert 'hx-trigger="progress-changed from:body delay:300ms"' in page
    before = dict(re.findall(r'id="filter-([\w-]+)-count">(\d+)<', page))
    assert (before["state-not_started"], before["state-done"], before["level-beginner"]) == (
        "2",
        "0",
        "1",
    )
    answer = tick(client, shelf["python book"], done=True, htmx=True)
    assert json.loads(answer.headers["HX-Trigger"]) == {"progress-changed": {}}
    counts = client.get(ROADMAP, query, headers={"HX-Request": "true", "HX-Target": "filter-sets"})
    html = counts.content.decode()
    after = dict(re.findall(r'id="filter-([\w-]+)-count" hx-swap-oob="true">(\d+)<', html))
    assert after.keys() == before.keys()
    assert (after["state-not_started"], after["state-done"], after["level-beginner"]) == (
        "1",
        "1",
        "0",
    )
    assert "resource-title" not in html and "<input" not in html and "aria-valuenow" not in html
    # Only htmx's own request gets the counts alone: any other is the page.
    page = client.get(ROADMAP, query, headers={"HX-Target": "filter-sets"}).content.decode()
    assert page.startswith("<!doctype html>") and titles(page) == {"Deep Learning Book"}
