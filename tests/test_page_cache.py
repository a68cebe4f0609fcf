"""Pages rendered once per content version, filled in per request (roadmap/page_cache.py)."""

import threading

import pytest

from roadmap.models import Resource
from roadmap.page_cache import ProcessCache, Rendering, content_version, slot
from roadmap.progress import Completion, ProgressSummary, content_at
from tests.factories import ResourceFactory

PAGE = (
    f'<li class="r{slot("class", "a")}"><input{slot("checked", "a")}>'
    f'<input name="csrf" value="{slot("csrf")}"></li>'
    f'<li class="r{slot("class", "b")}"><input{slot("checked", "b")}></li>'
    f"<p>{slot('percent', 'overall')}% · {slot('done', 'overall')} of {slot('total', 'overall')}</p>"
    f"{slot('messages')}"
)


def summary(done: int, total: int) -> ProgressSummary:
    return ProgressSummary(overall=Completion(done, total), parts={}, done_per_topic={}, totals={})


def test_a_rendering_is_filled_with_one_requests_ticks_figures_and_token():
    page = Rendering(PAGE).fill(
        done={"b"}, progress=summary(1, 3), csrf="TOKEN", messages="<ul>hi</ul>"
    )
    assert page.decode() == (
        '<li class="r"><input><input name="csrf" value="TOKEN"></li>'
        '<li class="r is-done"><input checked></li>'
        "<p>33% · 1 of 3</p><ul>hi</ul>"
    )


def test_filling_leaves_the_rendering_as_it_was_for_the_next_request():
    rendering = Rendering(PAGE)
    rendering.fill(done={"a", "b"}, progress=summary(3, 3), csrf="ONE", messages="x")
    second = rendering.fill(progress=summary(0, 3), csrf="TWO", messages="").decode()
    assert "is-done" not in second and "checked" not in second and "ONE" not in second
    assert "0% · 0 of 3" in second


def test_a_rendering_refuses_to_go_out_with_a_slot_unfilled():
    with pytest.raises(KeyError):
        Rendering(PAGE).fill(progress=summary(0, 3), csrf="TOKEN")


def test_the_process_cache_builds_each_key_once_however_many_threads_ask():
    cache, builds = ProcessCache(size=4), []
    start = threading.Barrier(8)

    def build():
        builds.append(1)
        return "page"

    def ask():
        start.wait()
        assert cache.get(("page", 1), build) == "page"

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert builds == [1]


def test_the_process_cache_keeps_only_the_most_recently_used():
    cache = ProcessCache(size=2)
    for key in "abc":
        cache.get(key, lambda key=key: key.upper())
    assert cache.get("a", lambda: "rebuilt") == "rebuilt"


def test_content_asked_for_at_an_outdated_version_comes_with_its_own(db):
    resource = ResourceFactory()
    old = content_version()
    assert str(resource.public_id) in content_at(old).resources
    Resource.objects.filter(pk=resource.pk).update(status=Resource.Status.ARCHIVED)
    newer = content_at(old - 1)  # never cached: read now, so at the newer version
    assert newer.version == content_version() > old
    assert str(resource.public_id) not in newer.resources


def test_a_build_that_fails_is_tried_again_and_leaves_nothing_behind():
    cache = ProcessCache(4)

    def fail():
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        cache.get("page", fail)
    assert cache.get("page", lambda: "built") == "built"
    assert not cache._building
