"""Property-based bad input on every form and POST endpoint: odd Unicode, very long
values, several values, missing fields. The answer is a 4xx or a form error, never a
5xx, and bad input changes nothing."""

import pytest
from django.core.cache import cache
from django.urls import resolve
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import User
from roadmap.models import Progress, Resource, ShareLink, Topic
from tests.factories import UserFactory
from tests.progress_helpers import ROADMAP
from tests.test_authorization import MATRIX, admin_matrix

# Any text a form could carry: every Unicode category but lone surrogates (which no
# client can encode), from empty to far longer than any field.
TEXT = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=300) | st.builds(
    lambda s, n: s * n, st.text(min_size=1, max_size=5), st.integers(100, 3000)
)
VALUE = TEXT | st.lists(TEXT, min_size=2, max_size=3)


def fields(*names: str):
    """Some of the named fields (maybe none), each with a hostile value."""
    return st.dictionaries(st.sampled_from(names), VALUE, max_size=len(names))


PROPERTY = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def learner_client(client, seed, learner):
    client.force_login(learner)
    return client


def snapshot() -> tuple:
    return (
        sorted(Progress.objects.values_list("user_id", "work__resources", "state")),
        sorted(ShareLink.objects.values_list("user_id", "token")),
        sorted(User.objects.values_list("username", "email", "display_name", "password")),
        sorted(Resource.objects.values_list("title", "url", "status", "order")),
        sorted(Topic.objects.values_list("title", "slug", "order")),
    )


def sent(data: dict, name: str):
    """The value a Django view reads for `name`: the last one sent."""
    value = data.get(name)
    return value[-1] if isinstance(value, list) else value


def is_form_error(response) -> bool:
    return response.status_code == 200 and b"errorlist" in response.content


@PROPERTY
@given(data=fields("done", "state", "csrfmiddlewaretoken"))
def test_progress_post(learner_client, data):
    resource = Resource.objects.first()
    before = snapshot()
    response = learner_client.post(f"/resources/{resource.public_id}/progress", data)
    assert response.status_code < 500
    states = {"not_started", "in_progress", "done", "skipped"}
    clear = sent(data, "state") in states if "state" in data else sent(data, "done") in {"0", "1"}
    if not clear:
        assert response.status_code == 400
        assert snapshot() == before


@PROPERTY
@given(token=TEXT.filter(lambda t: "/" not in t), theme=VALUE)
def test_share_page_and_badge(client, seed, token, theme):
    # 301 adds a missing slash; 400 when that redirect would be too long to send.
    assert client.get(f"/p/{token}/").status_code in {404, 301, 400}
    response = client.get(f"/p/{token}/badge.svg", {"theme": theme})
    assert response.status_code in {400, 404, 301}


@pytest.mark.parametrize(
    "path",
    [
        "/p/%00/",
        "/p/abc%00def/badge.svg",
        f"/p/{'A' * 31}%00/",
        f"/p/{'A' * 31}%00/badge.svg",
        f"/p/{'A' * 33}/",
        f"/p/{'A' * 10_000}/badge.svg",
    ],
)
def test_share_urls_that_no_token_can_have_are_404(client, seed, path):
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    "cookie",
    [
        'sessionid="abcdefgh\\000ijklmnop"',
        'sessionid="\\000\\000\\000\\000\\000\\000\\000\\000"',
        "sessionid=" + "a" * 5000,
    ],
)
def test_a_malformed_session_cookie_is_no_session(client, seed, learner, cookie):
    resource = Resource.objects.first()
    assert client.get(ROADMAP, HTTP_COOKIE=cookie).status_code == 200
    assert client.get("/me/", HTTP_COOKIE=cookie).status_code == 302  # to log in
    assert client.get("/accounts/login/", HTTP_COOKIE=cookie).status_code == 200
    response = client.post(
        f"/resources/{resource.public_id}/progress", {"done": "1"}, HTTP_COOKIE=cookie
    )
    assert response.status_code == 302 and response["Location"] == f"{ROADMAP}#{resource.anchor}"
    assert not Progress.objects.exists()


@PROPERTY
@given(data=fields("action"))
def test_sharing_settings(learner_client, data):
    before = snapshot()
    response = learner_client.post("/me/sharing/", data)
    assert response.status_code < 500
    if sent(data, "action") not in {"enable", "regenerate", "disable"}:
        assert response.status_code == 400
        assert snapshot() == before


@PROPERTY
@given(data=fields("display_name"))
def test_profile(learner_client, data):
    before = snapshot()
    response = learner_client.post("/me/profile/", data | {"weekly_goal": ""})
    if "display_name" not in data:  # not the profile's form
        assert response.status_code == 400
        assert snapshot() == before
        return
    assert response.status_code in {200, 302}
    if response.status_code == 200:
        assert is_form_error(response)
        assert snapshot() == before


@PROPERTY
@given(data=fields("password"))
def test_account_delete(learner_client, data):
    cache.clear()  # each example within the limit on password guesses
    before = snapshot()
    response = learner_client.post("/me/delete/", data)
    assert is_form_error(response)
    assert snapshot() == before


@PROPERTY
@given(data=fields("username", "email", "password1"))
def test_signup(client, db, data):
    cache.clear()
    client.logout()
    before = snapshot()
    response = client.post("/accounts/signup/", data)
    assert response.status_code in {200, 302}
    if response.status_code == 200:
        assert snapshot() == before


@PROPERTY
@given(data=fields("login", "password", "remember"))
def test_login(client, db, data):
    cache.clear()
    UserFactory(username="ada")
    response = client.post("/accounts/login/", data)
    assert is_form_error(response) or response.status_code == 200
    assert client.get("/me/").status_code == 302


@PROPERTY
@given(data=fields("email"))
def test_password_reset(client, db, data):
    cache.clear()
    before = snapshot()
    response = client.post("/accounts/password/reset/", data)
    assert response.status_code in {200, 302}
    assert snapshot() == before


@PROPERTY
@given(content=TEXT, archive=VALUE)
def test_admin_import_preview(client, seed, curator, content, archive):
    client.force_login(curator)
    before = snapshot()
    response = client.post(
        "/admin/roadmap/roadmap/import/", {"content": content, "archive_missing": archive}
    )
    assert response.status_code == 200  # a preview or an error; a preview changes nothing
    assert snapshot() == before


@PROPERTY
@given(
    data=fields("topic", "title", "url", "kind", "level", "cost", "status", "order", "description")
)
def test_admin_resource_form(client, seed, curator, data):
    client.force_login(curator)
    before = snapshot()
    response = client.post("/admin/roadmap/resource/add/", data)
    assert response.status_code in {200, 302}
    if response.status_code == 200:
        assert snapshot() == before


class AnyId(dict):
    def __missing__(self, key):
        return "1"


def test_a_body_django_cannot_read_is_a_400_on_every_url(seed):
    """A form body in a charset that is not ASCII-compatible (utf-16) makes Django raise
    BadRequest whenever request.POST is read; the error page must not read it again.
    (One test for every route: the seed is loaded once.)"""
    from django.test import Client

    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.cookies["csrftoken"] = "a" * 32
    values = AnyId(token="A" * 32, resource=Resource.objects.first().public_id)
    wrong = []
    for route, (_method, path, _expected) in sorted((MATRIX | admin_matrix()).items()):
        path = path.format_map(values)
        response = client.post(path, "a=b", "application/x-www-form-urlencoded; charset=utf-16")
        # The API never reads a form: its operations take no POST (405), an address that
        # names none is a 404, its schema and docs are Django's (400).
        if response.status_code not in ({400, 404, 405} if "api/v1/" in route else {400}):
            wrong.append(f"{route}: POST {path} got {response.status_code}")
    assert not wrong, "\n".join(wrong)


# Every name a page or the API reads from a query string.
QUERY_NAMES = [
    "q",
    "page",
    "kind",
    "level",
    "cost",
    "state",
    "theme",
    "next",
    "limit",
    "offset",
    "days",
    "since",
    "roadmap",
    "scope",
]


NUL_ROUTES = sorted(
    route
    for route, (method, path, _) in (MATRIX | admin_matrix()).items()
    if method == "get" and "{" not in path
)


def test_a_nul_in_any_query_parameter_is_a_400_that_says_so(client, seed, learner):
    """NUL is the one character PostgreSQL's text cannot hold (a search, an admin filter
    given one ended in a 500): it is refused on every page, for anyone. (One test for
    every route: the seed is loaded once.)"""
    superuser = UserFactory(is_staff=True, is_superuser=True)
    for who in (None, learner, superuser):
        client.logout()
        if who is not None:
            client.force_login(who)
        for route in NUL_ROUTES:
            path = (MATRIX | admin_matrix())[route][1].partition("?")[0]
            response = client.get(path, {**dict.fromkeys(QUERY_NAMES, "a"), "q": ["a", "a\x00b"]})
            if "ninja" in resolve(path).app_names:
                # The API's operations validate their input and answer their own errors.
                assert response.status_code < 500, path
            else:
                assert response.status_code == 400, path
                assert b"NUL" in response.content


# --- Admin's own pages: said, never a 500 --------------------------------------------


@pytest.fixture
def curator_client(seed, curator):
    from django.test import Client

    client = Client(raise_request_exception=False)
    client.force_login(curator)
    return client


@pytest.mark.parametrize(
    "changelist,action",
    [
        ("/admin/roadmap/resource/", "archive"),
        ("/admin/roadmap/resource/", "delete_selected"),
        ("/admin/curation/suggestion/", "decline"),
        ("/admin/curation/report/", "mark_fixed"),
    ],
)
def test_an_action_on_a_garbled_selection_is_said_and_does_nothing(
    curator_client, changelist, action
):
    before = list(Resource.objects.values_list("pk", "status"))
    for selected in ["abc", "", " ", "1.5", "\x00", "²"]:
        data = {"action": action, "_selected_action": [selected], "index": "0", "reason": "r"}
        answer = curator_client.post(changelist, data, follow=True)
        assert answer.status_code == 200, selected
        assert "The selection names rows this list does not have" in answer.content.decode()
    assert list(Resource.objects.values_list("pk", "status")) == before


def test_every_admin_list_says_a_garbled_selection_and_does_nothing(admin_user):
    """Each list admin's index offers, Django's and the libraries' own too."""
    from django.contrib import admin
    from django.contrib.auth.models import Group
    from django.test import Client, RequestFactory

    Group.objects.create(name="Reviewers")
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    changelists = [
        model["admin_url"]
        for app in admin.site.get_app_list(request)
        for model in app["models"]
        if model["admin_url"]
    ]
    assert "/admin/auth/group/" in changelists and "/admin/account/emailaddress/" in changelists
    for changelist in changelists:
        for selected in ["abc", "1.5"]:
            data = {"action": "delete_selected", "_selected_action": [selected], "index": "0"}
            answer = client.post(changelist, data, follow=True)
            assert answer.status_code == 200, (changelist, selected)
    assert Group.objects.filter(name="Reviewers").exists()


def test_an_actions_field_that_is_not_valid_is_said_not_no_action_selected(curator_client, learner):
    from curation.models import Suggestion
    from curation.services import suggestion_create

    suggestion_create(
        user=learner, topic=Topic.objects.first(), url="https://n.example.com/a",
        title="A", why="w", credit=False,
    )  # fmt: skip
    suggestion = Suggestion.objects.get()
    data = {"action": "decline", "_selected_action": [suggestion.pk], "index": "0"}
    answer = curator_client.post(
        "/admin/curation/suggestion/", data | {"reason": "r" * 1001}, follow=True
    )
    page = answer.content.decode()
    assert "No action selected" not in page
    assert "Reason for declining: Ensure this value has at most 1000 characters" in page
    suggestion.refresh_from_db()
    assert suggestion.status == Suggestion.Status.PENDING


@pytest.mark.parametrize("value", ["²", "٣", "1x"])
def test_a_queues_roadmap_filter_of_no_roadmap_shows_nothing(curator_client, value):
    for queue in ("suggestion", "report"):
        assert curator_client.get(f"/admin/curation/{queue}/?roadmap={value}").status_code == 200


@pytest.mark.parametrize("back", ["abc", "-1", "²"])
def test_the_insights_refresh_goes_back_to_the_insights_for_a_next_of_no_page(curator_client, back):
    answer = curator_client.post("/admin/curation/insights/refresh/", {"next": back})
    assert answer.status_code == 302
