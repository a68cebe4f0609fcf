"""`/search/?q=…` over the seed's reading list (and roadmaps made beside it): stemming,
phrases, exclusions, typos, one result per URL, visibility and whose states show."""

import re

import html5lib
import pytest
from django.core.cache import caches

from roadmap.models import Part, Resource, Roadmap, Topic
from search.models import SearchEntry
from tests.factories import PartFactory, ResourceFactory, RoadmapFactory, TopicFactory
from tests.progress_helpers import count_queries, tick

HARD_WAY = "Learn Python The Hard Way"
STATISTICS = "Practical Statistics for Data Scientists, 2nd Edition"
SCRATCH = "Data Science from Scratch, 2nd Edition"
HANDS_ON = (
    "Hands-On Machine Learning with Scikit-Learn, Keras, and TensorFlow, 2nd Edition"
    " (First part only)"
)
MATHS = "Mathematics for Machine Learning Specialization - Coursera"


def search(client, q, **more):
    response = client.get("/search/", {"q": q, **more})
    assert response.status_code == 200
    return response.content.decode()


def found(html: str) -> list[str]:
    """The results' titles, in order (their links' text, marks taken out)."""
    items = re.findall(r'<h2 class="search-result-title"><a href="[^"]*">(.*?)</a>', html)
    return [re.sub(r"</?mark>", "", item).replace("&#x27;", "'") for item in items]


def test_the_header_of_every_page_has_a_search_box(client, seed):
    for path in ("/", "/roadmaps/deep-learning/", "/accounts/login/", "/search/"):
        html = client.get(path).content.decode()
        form = html[html.index('<form class="site-search"') :]
        form = form[: form.index("</form>")]
        assert 'action="/search/"' in form and 'method="get"' in form
        assert '<label class="visually-hidden" for="site-search">Search</label>' in form
        assert '<input type="search" id="site-search" name="q"' in form


def test_stemming_finds_other_forms_of_a_word(client, seed):
    # "statistic" and "scientist" are not in the titles as typed: stems are.
    assert found(search(client, "statistic")) == [STATISTICS]
    assert STATISTICS in found(search(client, "scientist"))


def test_the_title_weighs_more_than_the_description(client, seed):
    # "python" is in one title, and in another's description.
    assert found(search(client, "python")) == [HARD_WAY, STATISTICS]


def test_a_quoted_phrase_an_exclusion_and_or(client, seed):
    # (Data Science from Scratch is in the topic "Machine learning".)
    assert set(found(search(client, '"machine learning"'))) == {HANDS_ON, MATHS, SCRATCH}
    assert found(search(client, '"hard way"')) == [HARD_WAY]
    # In the other order the phrase is not there: only titles with similar words are.
    assert "Showing results for similar words" in search(client, '"way hard"')
    phrase = found(search(client, '"straight and to the point"'))
    assert phrase == [HARD_WAY]
    assert HARD_WAY not in found(search(client, "python -hard"))
    assert found(search(client, "python -hard")) == [STATISTICS]
    assert set(found(search(client, "keras or coursera"))) == {HANDS_ON, MATHS}


def test_the_count_and_the_matched_words_marked_and_escaped(client, seed):
    Resource.objects.filter(title=HARD_WAY).update(title="Python <b>the</b> Hard Way")
    html = search(client, "python")
    assert "2 results for “python”" in html
    assert '<ol class="search-results" aria-label="Search results"' in html
    assert "<mark>Python</mark> &lt;b&gt;the&lt;/b&gt; Hard Way" in html
    assert "<b>the</b>" not in html
    html5lib.HTMLParser(strict=True).parse(html)
    # One aria-live region, the announcer of ticks made from the results.
    assert html.count("aria-live") == 1 and 'id="progress-announcer"' in html


def test_nothing_found_says_so(client, seed):
    html = search(client, "quantum chromodynamics")
    assert "No resources match “quantum chromodynamics”" in html
    assert "Search results" not in html


def test_nothing_found_nor_similar_says_only_that(client, seed):
    html = search(client, "zzzzqqq")
    assert "No resources match “zzzzqqq”" in html
    assert "Showing results for similar words" not in html


def test_a_typo_finds_titles_with_a_similar_word(client, seed):
    html = search(client, "Statistcs")
    assert "Showing results for similar words" in html
    assert found(html) == [STATISTICS]
    assert "Showing results for similar words" not in search(client, "statistics")


def test_each_result_links_to_its_row_and_says_where_it_is_listed(client, seed):
    html = search(client, "scratch")
    resource = Resource.objects.get(title=SCRATCH)
    assert f'<a href="/roadmaps/deep-learning/#resource-{resource.public_id}">' in html
    assert "Deep Learning Roadmap › Pre-requisites › Machine learning" in html
    assert '<span class="badge badge-kind">Book</span>' in html


def test_a_url_listed_in_two_roadmaps_is_one_result_naming_both(client, seed):
    first = Resource.objects.get(title=HARD_WAY)
    other = RoadmapFactory(slug="python", title="Python for ML", order=2)
    topic = TopicFactory(part=PartFactory(roadmap=other, title="Basics"), title="Language")
    ResourceFactory(topic=topic, title="Learn Python the hard way", url=first.url)
    html = search(client, "hard way")
    assert found(html) == [HARD_WAY]
    assert "1 result for “hard way”" in html
    assert "Deep Learning Roadmap › Pre-requisites › Programming" in html
    assert "Python for ML › Basics › Language" in html


def test_drafts_draft_parts_and_archived_resources_are_never_found(client, seed, curator):
    topic = TopicFactory(part=PartFactory(status=Part.Status.DRAFT))
    ResourceFactory(topic=topic, title="Zebra finch in a draft part")
    ResourceFactory(title="Zebra draft", status=Resource.Status.DRAFT)
    ResourceFactory(title="Zebra archived", status=Resource.Status.ARCHIVED)
    hidden_roadmap = RoadmapFactory(slug="hidden", status=Roadmap.Status.DRAFT)
    ResourceFactory(
        topic=TopicFactory(part=PartFactory(roadmap=hidden_roadmap)), title="Zebra unpublished"
    )
    soon = PartFactory(status=Part.Status.COMING_SOON)
    ResourceFactory(topic=TopicFactory(part=soon), title="Zebra coming soon")
    assert found(search(client, "zebra")) == []
    client.force_login(curator)  # staff find what they see on the roadmaps' pages
    assert set(found(search(client, "zebra"))) == {
        "Zebra finch in a draft part",
        "Zebra draft",
        "Zebra archived",
        "Zebra unpublished",
    }


def test_the_index_follows_every_kind_of_write(client, seed):
    resource = Resource.objects.get(title=HARD_WAY)
    Resource.objects.filter(pk=resource.pk).update(description="All about snakes.")
    assert found(search(client, "snake")) == [HARD_WAY]
    resource.topic.title = "Coding"
    resource.topic.save()
    assert HARD_WAY in found(search(client, "coding"))
    Part.objects.filter(pk=resource.topic.part_id).update(title="Before you begin")
    assert HARD_WAY in found(search(client, "begin"))
    # Its topic moved to another part: found by that part's title, no longer by the old.
    elsewhere = (
        Part.objects.exclude(pk=resource.topic.part_id)
        .filter(roadmap=resource.topic.part.roadmap)
        .first()
    )
    Part.objects.filter(pk=elsewhere.pk).update(
        title="Somewhere quite different", status="published"
    )
    Topic.objects.filter(pk=resource.topic_id).update(part=elsewhere)
    assert HARD_WAY in found(search(client, "quite different"))
    assert HARD_WAY not in found(search(client, "begin"))
    ResourceFactory.create_batch(2, topic=resource.topic, title="Bulk snake primer")
    Resource.objects.bulk_create(
        [Resource(topic=resource.topic, title="Bulk snakes", url="https://e.org/s", order=99)]
    )
    assert SearchEntry.objects.filter(title="Bulk snakes").exists()
    resource.delete()
    assert not SearchEntry.objects.filter(resource_id=resource.pk).exists()


def test_a_learner_sees_their_own_states_and_ticks_in_place(client, seed, learner):
    other = type(learner).objects.create_user("someone", "someone@example.com", "x" * 12)
    hard_way = Resource.objects.get(title=HARD_WAY)
    client.force_login(other)
    tick(client, hard_way, done=True)
    client.force_login(learner)
    html = search(client, "python")
    assert f'id="done-{hard_way.public_id}"' in html
    assert f'id="done-{hard_way.public_id}" checked' not in html  # another's tick, not shown
    assert f"Mark {HARD_WAY} as done" in html
    answer = tick(client, hard_way, done=True, htmx=True)
    assert f'id="done-{hard_way.public_id}" checked' in answer.content.decode()
    assert f'id="done-{hard_way.public_id}" checked' in search(client, "python")


def test_a_tick_in_the_results_answers_only_what_that_page_shows(client, seed, learner):
    """Sent from the results (the page says so: `hx-vals`), a tick's answer is its row,
    the navigation's percentage of the first roadmap, as the results page shows it, and
    the announcement: no bar, which that page has none of for htmx to swap (it would
    report each as an error), and no other roadmap's percentage in the navigation."""
    client.force_login(learner)
    assert """hx-vals='{"from": "results"}'""" in search(client, "python")
    track = RoadmapFactory(title="Vision", slug="vision", order=99)  # not the first
    elsewhere = ResourceFactory(
        topic=TopicFactory(part=PartFactory(roadmap=track, status="published")),
        title="Zeta vision",
        status="published",
    )
    data = {"done": ["0", "1"], "from": "results"}
    answer = client.post(
        f"/resources/{elsewhere.public_id}/progress", data, headers={"HX-Request": "true"}
    ).content.decode()
    assert f'id="done-{elsewhere.public_id}" checked' in answer
    assert "progress-topic-" not in answer and "progress-part-" not in answer
    assert 'id="progress-roadmap' not in answer
    nav = re.search(
        r'<a id="nav-progress"[^>]*>My progress <span class="nav-percent">(\d+)%', answer
    )
    assert nav and nav[1] == "0"  # the first roadmap's, where nothing is done
    assert "Zeta vision marked as done. Overall progress" in answer  # in Vision
    # Once the track is put first, the navigation of the results is its figure.
    Roadmap.objects.filter(slug="deep-learning").update(order=100)
    data = {"done": ["0"], "from": "results"}
    answer = client.post(
        f"/resources/{elsewhere.public_id}/progress", data, headers={"HX-Request": "true"}
    ).content.decode()
    data = {"done": ["0", "1"], "from": "results"}
    answer = client.post(
        f"/resources/{elsewhere.public_id}/progress", data, headers={"HX-Request": "true"}
    ).content.decode()
    nav = re.search(
        r'<a id="nav-progress"[^>]*>My progress <span class="nav-percent">(\d+)%', answer
    )
    assert nav[1] != "0" and "Overall progress " + nav[1] + "%" in answer  # the track's
    # From the roadmap's own page, as before: its bars, and its percentage.
    again = tick(client, elsewhere, done=False, htmx=True).content.decode()
    assert f'id="progress-roadmap-{track.pk}"' in again and "progress-topic-" in again


def test_a_visitor_ticks_from_the_results_too(client, seed):
    hard_way = Resource.objects.get(title=HARD_WAY)
    tick(client, hard_way, done=True)
    assert f'id="done-{hard_way.public_id}" checked' in search(client, "python")


def test_twenty_a_page(client, db):
    topic = TopicFactory()
    ResourceFactory.create_batch(45, topic=topic, title="Convolution notes")
    first, third = search(client, "convolution"), search(client, "convolution", page=3)
    assert "45 results for “convolution”" in first
    assert len(found(first)) == 20 and len(found(third)) == 5
    assert 'rel="next"' in first and 'rel="prev"' in third
    assert client.get("/search/", {"q": "convolution", "page": 9}).status_code == 400
    assert client.get("/search/", {"q": "convolution", "page": "x"}).status_code == 400


@pytest.mark.parametrize("results", [3, 30])
def test_query_counts_do_not_grow_with_results_or_roadmaps(client, db, learner, results):
    client.force_login(learner)
    for n in range(results // 3):
        roadmap = RoadmapFactory(slug=f"r{n}", title=f"Roadmap {n}", order=n)
        topic = TopicFactory(part=PartFactory(roadmap=roadmap))
        for k in range(3):
            ResourceFactory(topic=topic, title=f"Attention {k}", url=f"https://e.org/{n}/{k}")
    search(client, "attention")
    caches["pages"].clear()  # what a query found is kept: count a search made anew
    assert count_queries(lambda: search(client, "attention")) <= 6
    assert count_queries(lambda: search(client, "atention")) <= 6
    assert count_queries(lambda: search(client, "attention")) <= 4  # asked again


def test_an_empty_query_shows_the_page_and_a_hint(client, db):
    html = search(client, "   ")
    assert "<h1>Search</h1>" in html
    assert "results for" not in html and "Search results" not in html


def test_a_description_the_text_parser_finds_hard_is_indexed_and_shown_at_once(client, db):
    # PostgreSQL's parser takes time quadratic in a run of "<!--": a megabyte of them took
    # twenty minutes to index.
    ResourceFactory(title="Comments", description="Zebra stripes " + "<!--" * 250_000)
    html = search(client, "zebra")
    assert found(html) == ["Comments"]
    assert "<mark>Zebra</mark> stripes" in html


def test_a_snippet_is_the_descriptions_text_not_its_markdown(client, db):
    """A result's snippet reads as the description reads on the page: no `**`, no
    `[text](url)`; what Markdown escapes (`<`, `&`) reads as itself, and is escaped."""
    ResourceFactory(
        title="Stripes",
        description="Read **the zebra** chapter, see [the notes](https://example.com/notes),"
        " <https://x.org> & <b>this</b>.",
    )
    html = search(client, "zebra")
    snippet = re.search(r'<p class="search-result-snippet">(.*?)</p>', html, re.S)[1]
    assert "Read the <mark>zebra</mark> chapter, see the notes," in snippet
    assert "**" not in snippet and "](" not in snippet and "https://example.com" not in snippet
    assert "&amp;" in snippet and "<b>" not in snippet


def test_a_title_with_the_characters_that_mark_matches_gets_no_stray_mark(client, db):
    """A match is marked with two characters of no script (private use), which a title
    or a description may still have: no word is marked but a match."""
    ResourceFactory(
        title="Deep \ue001networks\ue000 explained",
        description="Deep \ue000networks\ue001 explained, \ue001again\ue000.",
    )
    html = search(client, "explained")
    title = re.search(r'<h2 class="search-result-title"><a [^>]*>(.*?)</a>', html)[1]
    assert title == "Deep networks <mark>explained</mark>"
    snippet = re.search(r'<p class="search-result-snippet">(.*?)</p>', html, re.S)[1]
    assert snippet.strip() == "Deep networks <mark>explained</mark>, again."


@pytest.mark.parametrize("q", ["!!!", "-", '"', "or", "a" * 5000, "<script>alert(1)</script>"])
def test_a_query_of_any_shape_is_answered_and_escaped(client, seed, q):
    html = search(client, q)
    assert "<script>alert(1)</script>" not in html
    assert "No resources match" in html or "result" in html


def test_a_tick_without_javascript_comes_back_to_its_result(client, seed):
    """The no-JavaScript form posts, and the learner is back at the same result, ticked."""
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    resource = Resource.objects.get(title=HARD_WAY)
    response = client.post(
        f"/resources/{resource.public_id}/progress",
        {"done": "1"},
        headers={"Referer": "http://testserver/search/?q=python"},
    )
    target = response["Location"]
    assert target == f"http://testserver/search/?q=python#resource-{resource.public_id}"
    html = search(client, "python")
    assert f'<li class="search-result" id="resource-{resource.public_id}">' in html
    assert "Learn Python The Hard Way marked as done." in html
