"""Sharing progress: the private-by-default link, the share page and the badge."""

import math
import re
import string
from xml.etree import ElementTree

import pytest

from roadmap.models import Progress, Resource, Roadmap, ShareLink
from roadmap.render_once import Rendering
from roadmap.services import progress_set, share_link_enable
from tests.factories import UserFactory, build_roadmap
from tests.progress_helpers import ROADMAP, SHARED_MISS, bars, queries_cold_and_warm, ticked

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def ada(seed):
    ada = UserFactory(username="ada_l", email="ada@example.com", display_name="Ada")
    for resource in Resource.objects.order_by("pk")[:2]:
        progress_set(user=ada, resource=resource, done=True)
    return ada


def share_url(user) -> str:
    return share_link_enable(user=user).get_absolute_url()


def test_sharing_is_off_until_the_learner_turns_it_on(client, ada):
    assert not ShareLink.objects.exists()
    client.force_login(ada)
    assert "Sharing is off" in client.get("/me/sharing/").content.decode()
    response = client.post("/me/sharing/", {"action": "enable"})
    assert response.status_code == 302
    link = ShareLink.objects.get(user=ada)
    assert link.get_absolute_url() in client.get("/me/sharing/").content.decode()


def test_token_carries_at_least_128_bits_in_a_url_safe_alphabet(ada):
    token = share_link_enable(user=ada).token
    alphabet = string.ascii_letters + string.digits + "-_"
    assert set(token) <= set(alphabet)
    assert len(token) * math.log2(len(alphabet)) >= 128
    other = share_link_enable(user=UserFactory()).token
    assert token != other


def test_enabling_twice_keeps_the_same_link(ada):
    assert share_link_enable(user=ada).token == share_link_enable(user=ada).token


def test_share_page_shows_the_owners_progress_read_only(client, ada):
    url = share_url(ada)
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ada is 40% through the Deep Learning Roadmap" in html
    assert bars(html)["overall"] == 40
    assert html.count('class="badge badge-done"') == 2
    assert (
        "<form" not in html[html.index("<main") :]
    )  # nothing that could change anything (the header's is a search)
    assert 'type="checkbox"' not in html
    assert "ada@example.com" not in html and "ada_l" not in html
    assert "Start your own roadmap" in html
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert response["X-Robots-Tag"] == "noindex"
    assert (
        '<meta property="og:title" content="Ada is 40% through the Deep Learning Roadmap">' in html
    )
    assert f'<meta property="og:url" content="http://testserver{url}">' in html
    assert '<meta name="twitter:card" content="summary">' in html


def test_the_share_page_shows_a_tick_a_new_name_and_an_edit_on_the_next_view(
    client, ada, monkeypatch
):
    url = share_url(ada)
    assert client.get(url).content.decode().count('class="badge badge-done"') == 2
    # Viewed again with nothing changed, its section is not filled again: it was kept.
    filled = []
    fill_value = Rendering.fill_value
    monkeypatch.setattr(
        Rendering, "fill_value", lambda self, **f: filled.append(1) or fill_value(self, **f)
    )
    assert client.get(url).content.decode().count('class="badge badge-done"') == 2
    assert filled == []
    third = Resource.objects.order_by("pk")[2]
    progress_set(user=ada, resource=third, done=True)
    html = client.get(url).content.decode()
    assert html.count('class="badge badge-done"') == 3
    ada.display_name = "Ada L."
    ada.save()
    assert "Ada L. is 60% through the Deep Learning Roadmap." in client.get(url).content.decode()
    Resource.objects.filter(pk=third.pk).update(title="A title the curator just wrote")
    assert "A title the curator just wrote" in client.get(url).content.decode()
    assert filled  # (each change filled it again)


def test_share_page_viewed_by_a_logged_in_learner_shows_the_owners_ticks(client, ada, learner):
    client.force_login(learner)
    html = client.get(share_url(ada)).content.decode()
    assert bars(html)["overall"] == 40
    assert ticked(html) == set()
    assert "<form" not in html[html.index("<main") :]
    assert '<span class="nav-percent">0%</span>' in html  # the viewer's own, in the nav


def test_without_a_display_name_the_owner_is_a_learner(client, seed):
    owner = UserFactory(username="secret_username", email="secret@example.com")
    html = client.get(share_url(owner)).content.decode()
    assert "A learner is 0% through" in html
    assert "secret_username" not in html and "secret@example.com" not in html


def test_share_page_never_shows_staff_only_content(client, ada):
    ada.is_staff = True
    ada.save()
    Resource.objects.filter(pk=Resource.objects.order_by("pk").last().pk).update(status="draft")
    html = client.get(share_url(ada)).content.decode()
    assert "Hands-On Machine Learning" not in html
    assert "badge-staff" not in html


def test_percentages_agree_between_share_page_badge_and_dashboard(client, ada):
    url = share_url(ada)
    share = bars(client.get(url).content.decode())
    badge = client.get(f"{url}badge.svg").content.decode()
    client.force_login(ada)
    dashboard = bars(client.get("/me/").content.decode())
    roadmap = bars(client.get(ROADMAP).content.decode())
    assert share["overall"] == dashboard["overall"] == roadmap["overall"] == 40
    for key, value in dashboard.items():
        assert share[key] == roadmap[key] == value
    assert ">40%</text>" in badge


def test_regenerating_kills_the_old_link_at_once(client, ada):
    old = share_url(ada)
    client.force_login(ada)
    confirm = client.get("/me/sharing/?confirm=regenerate").content.decode()
    assert "stop working at once" in confirm
    assert client.get(old).status_code == 200  # asking for confirmation changes nothing
    client.post("/me/sharing/", {"action": "regenerate"})
    new = ShareLink.objects.get(user=ada).get_absolute_url()
    assert new != old
    client.logout()
    assert client.get(old).status_code == 404
    assert client.get(f"{old}badge.svg").status_code == 404
    assert client.get(new).status_code == 200


def test_disabling_gives_404(client, ada):
    url = share_url(ada)
    client.force_login(ada)
    client.post("/me/sharing/", {"action": "disable"})
    assert not ShareLink.objects.filter(user=ada).exists()
    assert client.get(url).status_code == 404
    assert client.get(f"{url}badge.svg").status_code == 404


def test_a_deactivated_learners_link_is_404_until_they_are_reactivated(client, ada):
    url = share_url(ada)
    unknown = client.get(f"/p/{'x' * 32}/")
    ada.is_active = False
    ada.save()
    for path in (url, f"{url}badge.svg", f"{url}badge.svg?theme=dark"):
        response = client.get(path)
        assert (response.status_code, response.content) == (404, unknown.content)
    ada.is_active = True
    ada.save()
    assert client.get(url).status_code == 200
    assert client.get(f"{url}badge.svg").status_code == 200


def test_unknown_regenerated_and_disabled_tokens_get_the_same_404(client, ada):
    regenerated = share_url(ada)
    client.force_login(ada)
    client.post("/me/sharing/", {"action": "regenerate"})
    disabled = share_url(UserFactory())
    ShareLink.objects.filter(token=disabled.split("/")[2]).delete()
    client.logout()
    bodies = {
        client.get(url).content for url in [regenerated, disabled, "/p/never-existed/", "/p/x/"]
    }
    assert len(bodies) == 1
    assert b"Page not found" in bodies.pop()


@pytest.mark.parametrize("htmx", [True, False])
def test_sharing_settings_work_in_place_and_without_javascript(client, ada, htmx):
    client.force_login(ada)
    headers = {"HX-Request": "true"} if htmx else {}
    steps = [("enable", "Sharing is on"), ("regenerate", "Sharing is on"), ("disable", "off")]
    for action, expected in steps:
        response = client.post("/me/sharing/", {"action": action}, headers=headers)
        if htmx:
            assert response.status_code == 200
            html = response.content.decode()
            assert html.lstrip().startswith('<section id="sharing-panel"')
            assert "<html" not in html
        else:
            assert response.status_code == 302
            html = client.get("/me/sharing/").content.decode()
        assert expected in html
    assert not ShareLink.objects.filter(user=ada).exists()


def test_sharing_settings_show_the_link_and_the_badge_snippet(client, ada):
    client.force_login(ada)
    client.post("/me/sharing/", {"action": "enable"})
    html = client.get("/me/sharing/").content.decode()
    url = f"http://testserver{ShareLink.objects.get(user=ada).get_absolute_url()}"
    assert f'<input id="share-url" type="text" readonly value="{url}">' in html
    assert f"[![Deep Learning Roadmap progress]({url}badge.svg)]({url})" in html
    assert 'data-copy="share-url"' in html


def test_sharing_settings_refuse_an_unknown_action(client, ada):
    client.force_login(ada)
    assert client.post("/me/sharing/", {"action": "publish"}).status_code == 400
    assert client.post("/me/sharing/", {}).status_code == 400
    assert not ShareLink.objects.exists()


def test_sharing_settings_require_login(client, db):
    assert client.get("/me/sharing/").status_code == 302
    assert client.post("/me/sharing/", {"action": "enable"}).status_code == 302
    assert not ShareLink.objects.exists()


def test_badge_is_valid_svg_with_label_and_percentage(client, ada):
    response = client.get(f"{share_url(ada)}badge.svg")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    max_age = int(re.search(r"max-age=(\d+)", response["Cache-Control"]).group(1))
    assert 0 < max_age <= 300
    svg = ElementTree.fromstring(response.content)
    assert svg.tag == f"{SVG}svg"
    texts = [text.text for text in svg.iter(f"{SVG}text")]
    assert texts == ["Deep Learning Roadmap", "40%"]


def test_badge_themes_and_bad_theme(client, ada):
    url = f"{share_url(ada)}badge.svg"
    light = client.get(url).content.decode()
    dark = client.get(f"{url}?theme=dark").content.decode()
    assert light != dark and 'fill="#9ea7ff"' in dark
    assert client.get(f"{url}?theme=neon").status_code == 400


def test_badge_width_follows_the_text_and_text_is_escaped(client, ada):
    url = f"{share_url(ada)}badge.svg"
    short = ElementTree.fromstring(client.get(url).content)
    Roadmap.objects.update(title='Deep <Learning> & "Roadmap" for everybody who wants it')
    long = ElementTree.fromstring(client.get(url).content)
    assert int(long.get("width")) > int(short.get("width"))
    assert next(t.text for t in long.iter(f"{SVG}text")).startswith("Deep <Learning> & ")


def test_a_title_a_curator_saved_with_a_control_character_is_refused_and_badges_stay_drawable(
    client, ada
):
    """A form feed pasted from a PDF into a roadmap's title made every badge of it XML no
    browser draws. A title is refused one now; one saved before leaves it out."""
    from django.core.exceptions import ValidationError

    roadmap = Roadmap.objects.get()
    roadmap.title = "Deep\x0cLearning\x1b[31m"
    with pytest.raises(ValidationError) as refused:
        roadmap.full_clean()
    assert "Control characters" in str(refused.value.message_dict["title"])
    Roadmap.objects.update(title=roadmap.title)  # saved before the rule
    for url in (f"{share_url(ada)}badge.svg", f"{share_url(ada)}{roadmap.slug}/badge.svg"):
        svg = ElementTree.fromstring(client.get(url).content)
        assert next(t.text for t in svg.iter(f"{SVG}text")) == "DeepLearning[31m"


@pytest.mark.parametrize("path", ["", "badge.svg"])
def test_share_query_count_does_not_grow_with_content(client, db, path):
    def queries_for_owner_of(resources) -> list[int]:
        owner = UserFactory()
        for resource in resources:
            progress_set(user=owner, resource=resource, done=True)
        url = f"{share_url(owner)}{path}"
        return queries_cold_and_warm(lambda: client.get(url))

    build_roadmap(parts=1, topics_per_part=2, resources_per_topic=2)
    small = queries_for_owner_of(Resource.objects.all()[:3])
    Progress.objects.all().delete()
    Roadmap.objects.all().delete()
    build_roadmap(parts=10, topics_per_part=5, resources_per_topic=11)
    large = queries_for_owner_of(Resource.objects.all()[:300])
    assert small == large
    # Warm, one query: the share link, its owner and their progress, with the version;
    # and on the page, whether its owner shows their activity (activity/).
    page = 1 if path == "" else 0
    assert large == (13 + page + (SHARED_MISS if path == "" else 0), 1 + page), large
