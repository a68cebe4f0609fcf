"""The personal API: tokens made on /me/tokens/, the public roadmaps, a learner's
progress and activity read and set with a token, and never with the session cookie."""

import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from django.utils.translation import gettext_lazy

from activity.models import Event
from api import endpoints
from api.auth import per_token, wrong_tokens
from api.models import Token
from api.services import TOKENS_PER_LEARNER, token_create, token_use
from roadmap.models import Part, Progress, Resource, Roadmap
from roadmap.progress import learner_state
from roadmap.services import progress_set
from tests.factories import (
    PartFactory,
    ResourceFactory,
    RoadmapFactory,
    TopicFactory,
    UserFactory,
    build_roadmap,
)
from tests.progress_helpers import bars, csp_directives


@pytest.fixture
def roadmap(db):
    """Part A: topic X with 3 resources; Part B (coming soon); a draft resource; a second
    roadmap listing X one's URL again; a draft roadmap."""
    part_a = PartFactory(title="Part A")
    PartFactory(title="Part B", roadmap=part_a.roadmap, status=Part.Status.COMING_SOON)
    x = TopicFactory(part=part_a, title="Topic X")
    resources = {
        "x1": ResourceFactory(topic=x, title="X one"),
        "x2": ResourceFactory(topic=x, title="X two"),
        "x3": ResourceFactory(topic=x, title="X three"),
        "draft": ResourceFactory(topic=x, title="Not yet", status=Resource.Status.DRAFT),
    }
    second = RoadmapFactory(slug="vision", title="Vision")
    twin = ResourceFactory(
        topic=TopicFactory(part=PartFactory(roadmap=second, title="Seeing"), title="Eyes"),
        title="X one, again",
        url=resources["x1"].url,
    )
    hidden = RoadmapFactory(slug="hidden", title="Hidden", status=Roadmap.Status.DRAFT)
    ResourceFactory(topic=TopicFactory(part=PartFactory(roadmap=hidden)), title="Secret")
    return {"roadmap": part_a.roadmap, "second": second, "twin": twin, **resources}


def bearer(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.fixture
def reader(learner):
    return token_create(user=learner, name="widget", scope=Token.Scope.READ)[1]


@pytest.fixture
def writer(learner):
    return token_create(user=learner, name="script", scope=Token.Scope.WRITE)[1]


def put_state(client, resource, state, secret):
    return client.put(
        f"/api/v1/me/progress/{resource.public_id}",
        {"state": state},
        content_type="application/json",
        **bearer(secret),
    )


def test_a_learners_own_answers_are_never_stored_on_the_way_the_public_ones_may_be(
    client, roadmap, reader, writer
):
    """As the learner's own pages: no cache on the way keeps their progress."""
    for answer in (
        client.get("/api/v1/me/progress", **bearer(reader)),
        client.head("/api/v1/me/progress", **bearer(reader)),
        client.get("/api/v1/me/activity", **bearer(reader)),
        put_state(client, roadmap["x2"], "done", writer),
    ):
        assert answer.status_code == 200
        assert {"private", "no-store"} <= {d.strip() for d in answer["Cache-Control"].split(",")}
    assert "no-store" not in client.get("/api/v1/roadmaps").get("Cache-Control", "")


# --- The token page -------------------------------------------------------------------


def test_a_token_is_made_on_the_page_shown_once_and_kept_only_as_a_digest(client, learner):
    client.force_login(learner)
    page = client.post("/me/tokens/", {"name": "My widget", "scope": "read", "expires": ""})
    html = page.content.decode()
    assert page.status_code == 200
    assert page["Cache-Control"].count("no-store")
    [secret] = re.findall(r'<input type="text" id="new-token" value="([^"]+)" readonly', html)
    assert '<label for="new-token">Your new token</label>' in html
    token = Token.objects.get(user=learner)
    assert (token.name, token.scope, token.expires_at) == ("My widget", "read", None)
    assert secret not in str(Token.objects.values_list().get())  # only its digest
    assert secret.startswith("dlr_") and len(secret) > 40
    # It works, and the page says when it was last used; it is never shown again.
    assert client.get("/api/v1/me/progress", **bearer(secret)).status_code == 200
    again = client.get("/me/tokens/").content.decode()
    assert secret not in again and "My widget" in again and "Never used" not in again
    assert "Your new token" not in again


def test_the_form_refuses_bad_input_and_makes_nothing(client, learner):
    client.force_login(learner)
    yesterday = (timezone.now() - timedelta(days=2)).date().isoformat()
    for data, message in [
        ({"name": "", "scope": "read"}, "This field is required."),
        ({"name": "   ", "scope": "read"}, "This field is required."),
        ({"name": "x", "scope": "admin"}, "Select a valid choice."),
        ({"name": "x", "scope": "read", "expires": "not a day"}, "Enter a valid date."),
        ({"name": "x", "scope": "read", "expires": yesterday}, "That day has passed"),
        ({"name": "x" * 101, "scope": "read"}, "at most 100 characters"),
    ]:
        page = client.post("/me/tokens/", data)
        assert page.status_code == 200
        assert message in page.content.decode(), data
    assert not Token.objects.exists()


def test_a_learner_holds_a_limited_number_of_tokens(client, learner):
    for n in range(TOKENS_PER_LEARNER):
        token_create(user=learner, name=f"t{n}", scope="read")
    client.force_login(learner)
    page = client.post("/me/tokens/", {"name": "one more", "scope": "read"})
    assert "revoke one" in page.content.decode()
    assert Token.objects.filter(user=learner).count() == TOKENS_PER_LEARNER


def test_a_form_sent_twice_makes_one_token_and_says_so(client, learner):
    """Without JavaScript a double click sends "Create token" twice: the browser shows the
    second answer only, so a second token would leave the first's secret unseen."""
    client.force_login(learner)
    form = {"name": "script", "scope": "read"}
    assert "Your new token" in client.post("/me/tokens/", form).content.decode()
    again = client.post("/me/tokens/", form).content.decode()
    assert "Your new token" not in again and "already (was the form sent twice?)" in again
    assert Token.objects.filter(user=learner).count() == 1
    # A name is the learner's own: another learner may use it.
    client.force_login(UserFactory())
    assert "Your new token" in client.post("/me/tokens/", form).content.decode()


def test_revoke_pressed_after_the_session_ended_comes_back_to_the_tokens(client, learner):
    """The session ended in another tab; the learner presses Revoke, logs in as asked,
    and is sent back where they were: the tokens, to press it again (not a blank 405)."""
    token, _secret = token_create(user=learner, name="widget", scope="read")
    sent = client.post(f"/me/tokens/{token.pk}/revoke")
    next_url = parse_qs(urlsplit(sent["Location"]).query)["next"][0]
    client.force_login(learner)
    back = client.get(next_url, follow=True)
    assert back.redirect_chain == [("/me/tokens/", 302)] and b"widget" in back.content
    assert Token.objects.filter(pk=token.pk).exists()  # revoked by a POST only


def test_an_expiry_is_the_end_of_the_day_in_the_learners_zone(client, learner):
    learner.time_zone = "Asia/Tokyo"
    learner.save()
    client.force_login(learner)
    day = (timezone.now() + timedelta(days=3)).date()
    client.post("/me/tokens/", {"name": "x", "scope": "write", "expires": day.isoformat()})
    expires = Token.objects.get().expires_at.astimezone(learner.zone)
    assert (expires.date(), expires.hour, expires.minute) == (day + timedelta(days=1), 0, 0)


def test_revoke_ends_a_token_and_only_its_learner_may(client, learner, reader):
    token = Token.objects.get()
    other = UserFactory()
    client.force_login(other)
    assert client.post(f"/me/tokens/{token.pk}/revoke").status_code == 404
    assert client.get(f"/me/tokens/{token.pk}/revoke")["Location"] == "/me/tokens/"
    client.force_login(learner)
    page = client.post(f"/me/tokens/{token.pk}/revoke", follow=True)
    assert "revoked" in page.content.decode()
    assert not Token.objects.exists()
    answer = Client().get("/api/v1/me/progress", **bearer(reader))
    assert answer.status_code == 401 and answer.json()["code"] == "not_authenticated"


def test_an_expired_token_or_a_deactivated_learners_opens_nothing(client, learner, reader):
    assert client.get("/api/v1/me/progress", **bearer(reader)).status_code == 200
    Token.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get("/api/v1/me/progress", **bearer(reader)).status_code == 401
    Token.objects.update(expires_at=None)
    learner.is_active = False
    learner.save()
    assert client.get("/api/v1/me/progress", **bearer(reader)).status_code == 401


def test_each_use_is_recorded_even_once_expired(client, learner, reader):
    assert Token.objects.get().last_used_at is None
    client.get("/api/v1/me/progress", **bearer(reader))
    first = Token.objects.get().last_used_at
    assert first is not None
    client.get("/api/v1/me/progress", **bearer(reader))
    second = Token.objects.get().last_used_at
    assert second > first
    Token.objects.update(expires_at=timezone.now() - timedelta(days=1))
    assert client.get("/api/v1/me/progress", **bearer(reader)).status_code == 401
    assert Token.objects.get().last_used_at > second  # someone still sends it


# --- Who may do what ---------------------------------------------------------------


def test_the_session_cookie_never_opens_the_api(client, learner, roadmap):
    client.force_login(learner)
    for answer in [
        client.get("/api/v1/me/progress"),
        client.get("/api/v1/me/activity"),
        client.put(
            f"/api/v1/me/progress/{roadmap['x1'].public_id}",
            {"state": "done"},
            content_type="application/json",
        ),
    ]:
        assert answer.status_code == 401
        assert answer["Content-Type"].startswith("application/json")
        assert answer["WWW-Authenticate"].startswith("Bearer")
        assert set(answer.json()) >= {"code", "detail"}
    assert not Progress.objects.exists()


@pytest.mark.parametrize(
    "header",
    ["", "Bearer", "Bearer ", "Bearer nope", "Basic dXNlcjpwYXNz", "Token dlr_x", "bearer  x"],
)
def test_a_missing_or_wrong_token_is_401_in_json(client, db, header):
    answer = client.get("/api/v1/me/progress", HTTP_AUTHORIZATION=header)
    assert answer.status_code == 401
    assert answer.json()["code"] == "not_authenticated"


def test_a_read_token_cannot_write(client, learner, roadmap, reader):
    answer = put_state(client, roadmap["x1"], "done", reader)
    assert answer.status_code == 403
    assert answer.json()["code"] == "forbidden"
    assert not Progress.objects.exists()


def test_requests_are_limited_per_token(client, learner, roadmap, reader, writer, monkeypatch):
    monkeypatch.setattr(per_token, "num_requests", 3)
    for _ in range(3):
        assert client.get("/api/v1/me/progress", **bearer(reader)).status_code == 200
    refused = client.get("/api/v1/me/progress", **bearer(reader))
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert int(refused["Retry-After"]) > 0
    # Another token (here the same learner's) has an allowance of its own.
    assert client.get("/api/v1/me/progress", **bearer(writer)).status_code == 200
    # Told to come back when its window ends; then it has its allowance again.
    window_start = Token.objects.get(name="widget").window_start
    Token.objects.filter(name="widget").update(
        window_start=window_start - timedelta(seconds=per_token.duration - 10)
    )
    assert 0 < int(client.get("/api/v1/me/progress", **bearer(reader))["Retry-After"]) <= 10
    Token.objects.filter(name="widget").update(
        window_start=window_start - timedelta(seconds=per_token.duration)
    )
    for _ in range(3):
        assert client.get("/api/v1/me/progress", **bearer(reader)).status_code == 200
    assert client.get("/api/v1/me/progress", **bearer(reader)).status_code == 429


@pytest.mark.django_db(transaction=True)
def test_requests_at_the_same_instant_are_each_counted(learner):
    """Many requests with one token at once: each counted once, none lost (a count read
    and written back from a cache could lose one, and let one too many through)."""
    secret = token_create(user=learner, name="busy", scope=Token.Scope.READ)[1]
    window = timedelta(minutes=1)
    start = threading.Barrier(8, timeout=30)

    def requests() -> list[int]:
        start.wait()
        try:
            return [token_use(secret=secret, window=window).window_requests for _ in range(5)]
        finally:
            connection.close()

    with ThreadPoolExecutor(8) as pool:
        counts = [count for made in pool.map(lambda _: requests(), range(8)) for count in made]
    assert sorted(counts) == list(range(1, 41))
    assert Token.objects.get(name="busy").window_requests == 40


# --- The public roadmaps -------------------------------------------------------------


def test_the_published_roadmaps_are_listed_for_anyone(client, roadmap):
    answer = client.get("/api/v1/roadmaps")
    assert answer.status_code == 200
    body = answer.json()
    assert [r["slug"] for r in body["items"]] == ["deep-learning", "vision"]
    assert body["count"] == 2 and body["next"] is None
    first = body["items"][0]
    assert first["resources"] == 3
    assert first["url"] == "http://testserver/roadmaps/deep-learning/"
    paged = client.get("/api/v1/roadmaps?limit=1").json()
    assert [r["slug"] for r in paged["items"]] == ["deep-learning"]
    assert paged["next"] == "http://testserver/api/v1/roadmaps?limit=1&offset=1"
    second = client.get(paged["next"]).json()
    assert [r["slug"] for r in second["items"]] == ["vision"]
    assert second["previous"] == "http://testserver/api/v1/roadmaps?limit=1&offset=0"


def test_a_roadmap_is_what_its_page_shows_everyone(client, roadmap):
    body = client.get("/api/v1/roadmaps/deep-learning").json()
    [part_a, part_b] = body["parts"]
    assert part_b["status"] == "coming_soon" and part_b["topics"] == []
    [topic] = part_a["topics"]
    assert [r["title"] for r in topic["resources"]] == ["X one", "X two", "X three"]
    assert topic["resources"][0]["id"] == str(roadmap["x1"].public_id)
    # A draft roadmap is no more there than an unknown one; a staff's page is not this.
    for slug in ["hidden", "nope"]:
        answer = client.get(f"/api/v1/roadmaps/{slug}")
        assert answer.status_code == 404
        assert answer.json() == {"code": "not_found", "detail": "Not found."}


def test_a_prerequisite_unpublished_leaves_the_roadmaps_document(client, roadmap):
    roadmap["roadmap"].prerequisites.add(roadmap["second"])
    roadmap["roadmap"].save()
    listed = client.get("/api/v1/roadmaps/deep-learning").json()
    assert listed["prerequisites"] == ["vision"]
    roadmap["second"].status = Roadmap.Status.DRAFT  # an edit of the other roadmap only
    roadmap["second"].save()
    assert client.get("/api/v1/roadmaps/deep-learning").json()["prerequisites"] == []
    assert client.get("/api/v1/roadmaps").json()["items"][0]["prerequisites"] == []


def test_wrong_tokens_are_refused_when_their_limit_cannot_be_counted(client, db, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("the cache is down")

    monkeypatch.setattr(wrong_tokens.cache, "get", down)
    assert client.get("/api/v1/me/progress", **bearer("dlr_nope")).status_code == 401


def test_a_curators_edit_shows_in_the_next_answer(client, roadmap):
    assert (
        len(
            client.get("/api/v1/roadmaps/deep-learning").json()["parts"][0]["topics"][0][
                "resources"
            ]
        )
        == 3
    )
    roadmap["x3"].status = Resource.Status.ARCHIVED
    roadmap["x3"].save()
    answer = client.get("/api/v1/roadmaps/deep-learning").json()
    assert [r["title"] for r in answer["parts"][0]["topics"][0]["resources"]] == ["X one", "X two"]


# --- A learner's progress ------------------------------------------------------------


def test_progress_says_what_the_pages_say(client, learner, roadmap, reader):
    progress_set(user=learner, resource=roadmap["x1"], state="done")
    progress_set(user=learner, resource=roadmap["x2"], state="in_progress")
    body = client.get("/api/v1/me/progress", **bearer(reader)).json()
    figures = {f["roadmap"]: f for f in body["roadmaps"]}
    assert figures["deep-learning"] == {
        "roadmap": "deep-learning",
        "done": 1,
        "skipped": 0,
        "total": 3,
        "percent": 33,
    }
    assert figures["vision"]["percent"] == 100  # X one's URL is listed there too
    assert "hidden" not in figures
    state = learner_state(user=learner)
    for listed in state.content.published:
        assert figures[listed.roadmap.slug]["percent"] == state.progress.get(listed.key).percent
    client.force_login(learner)
    for listed in state.content.published:  # and as the home page's bars say
        assert (
            bars(client.get("/").content.decode())[listed.key]
            == figures[listed.roadmap.slug]["percent"]
        )
    items = {item["url"]: item for item in body["items"]}
    done = items[roadmap["x1"].url]
    assert done["state"] == "done" and done["counts"] and done["since"]
    assert {place["roadmap"] for place in done["listed_in"]} == {"deep-learning", "vision"}
    assert items[roadmap["x2"].url]["state"] == "in_progress"
    assert body["count"] == 2


def test_a_curators_edit_shows_in_the_learners_progress_next(client, learner, roadmap, reader):
    progress_set(user=learner, resource=roadmap["x1"], state="done")
    client.get("/api/v1/me/progress", **bearer(reader))  # (where it is listed, now kept)
    Resource.objects.filter(pk=roadmap["x1"].pk).update(title="X one, revised")
    Part.objects.filter(roadmap__slug="vision").update(status=Part.Status.DRAFT)
    (item,) = client.get("/api/v1/me/progress", **bearer(reader)).json()["items"]
    assert [(place["roadmap"], place["title"]) for place in item["listed_in"]] == [
        ("deep-learning", "X one, revised")
    ]


def test_progress_is_paged(client, learner, reader):
    build_roadmap(parts=1, topics_per_part=1, resources_per_topic=7)
    for resource in Resource.objects.all():
        progress_set(user=learner, resource=resource, state="done")
    first = client.get("/api/v1/me/progress?limit=5", **bearer(reader)).json()
    assert (first["count"], len(first["items"])) == (7, 5)
    rest = client.get(first["next"], **bearer(reader)).json()
    assert len(rest["items"]) == 2 and rest["next"] is None
    urls = [i["url"] for i in first["items"] + rest["items"]]
    assert sorted(urls) == sorted(Resource.objects.values_list("url", flat=True))
    for query in ["limit=0", "limit=501", "offset=-1", "limit=x"]:
        answer = client.get(f"/api/v1/me/progress?{query}", **bearer(reader))
        assert answer.status_code == 422 and answer.json()["code"] == "invalid", query


def test_reading_progress_costs_the_same_at_any_size(
    client, learner, reader, django_assert_max_num_queries
):
    build_roadmap(parts=2, topics_per_part=2, resources_per_topic=3)
    for resource in Resource.objects.all()[:6]:
        progress_set(user=learner, resource=resource, state="done")
    client.get("/api/v1/me/progress", **bearer(reader))  # the snapshot read once
    # The token (found, counted, its use recorded), the learner's rows.
    with django_assert_max_num_queries(2):
        client.get("/api/v1/me/progress", **bearer(reader))
    build_roadmap(parts=6, topics_per_part=4, resources_per_topic=8, slug="big", title="Big")
    for resource in Resource.objects.filter(topic__part__roadmap__slug="big"):
        progress_set(user=learner, resource=resource, state="skipped")
    client.get("/api/v1/me/progress", **bearer(reader))
    with django_assert_max_num_queries(2):
        client.get("/api/v1/me/progress", **bearer(reader))


def test_put_sets_the_desired_state_like_the_tick(client, learner, roadmap, writer):
    first = put_state(client, roadmap["x1"], "done", writer)
    assert first.status_code == 200
    assert first.json() == {
        "id": str(roadmap["x1"].public_id),
        "state": "done",
        "roadmaps": [
            {"roadmap": "deep-learning", "done": 1, "skipped": 0, "total": 3, "percent": 33},
            {"roadmap": "vision", "done": 1, "skipped": 0, "total": 1, "percent": 100},
        ],
    }
    completed = Progress.objects.get(user=learner).completed_at
    again = put_state(client, roadmap["x1"], "done", writer)  # idempotent: nothing moves
    assert again.json() == first.json()
    assert Progress.objects.get(user=learner).completed_at == completed
    # The twin in the other roadmap is the same resource to the learner.
    assert put_state(client, roadmap["twin"], "skipped", writer).json()["roadmaps"][0] == {
        "roadmap": "deep-learning",
        "done": 0,
        "skipped": 1,
        "total": 3,
        "percent": 33,
    }
    assert put_state(client, roadmap["x1"], "not_started", writer).status_code == 200
    assert not Progress.objects.filter(user=learner).exists()
    # Every write is in the learner's history, as a tick's is.
    assert [(e.before, e.after) for e in Event.objects.filter(user=learner).order_by("id")] == [
        ("not_started", "done"),
        ("done", "skipped"),
        ("skipped", "not_started"),
    ]


def test_bad_writes_change_nothing(client, learner, roadmap, writer):
    url = f"/api/v1/me/progress/{roadmap['x1'].public_id}"
    for body, status in [
        ('{"state": "finished"}', 422),
        ('{"state": null}', 422),
        ("{}", 422),
        ("not json", 400),
        ('{"done": true}', 422),
    ]:
        answer = client.put(url, body, content_type="application/json", **bearer(writer))
        assert answer.status_code == status, body
        assert answer.json()["code"] == {400: "bad_request", 422: "invalid"}[status]
    for public_id in [roadmap["draft"].public_id, "00000000-0000-0000-0000-000000000000"]:
        answer = put_state(client, type("R", (), {"public_id": public_id}), "done", writer)
        assert answer.status_code == 404
    assert (
        client.put(
            "/api/v1/me/progress/not-a-uuid",
            '{"state": "done"}',
            content_type="application/json",
            **bearer(writer),
        ).status_code
        == 422
    )
    assert (
        client.post(
            url, '{"state": "done"}', content_type="application/json", **bearer(writer)
        ).status_code
        == 405
    )
    assert not Progress.objects.exists()


def test_a_write_touches_only_the_tokens_learner(client, learner, roadmap, writer):
    other = UserFactory()
    progress_set(user=other, resource=roadmap["x2"], state="in_progress")
    put_state(client, roadmap["x2"], "done", writer)
    assert Progress.objects.get(user=other).state == "in_progress"
    assert Progress.objects.get(user=learner).state == "done"


def test_activity_lists_changes_newest_first_with_the_streak(client, learner, roadmap, reader):
    progress_set(user=learner, resource=roadmap["x1"], state="in_progress")
    progress_set(user=learner, resource=roadmap["x1"], state="done")
    body = client.get("/api/v1/me/activity", **bearer(reader)).json()
    assert body["current_streak"] == 1 and body["this_week"] == 1
    assert [(i["before"], i["after"]) for i in body["items"]] == [
        ("in_progress", "done"),
        ("not_started", "in_progress"),
    ]
    assert body["items"][0]["resource"]["title"] == "X one"
    assert body["count"] == 2


def test_activity_is_newest_first_by_when_each_change_was_made(client, learner, roadmap, reader):
    """A visitor's state kept at log-in is recorded after the learner's own changes but
    dated when the visitor set it (README, "Activity"): it is listed by that date."""
    progress_set(user=learner, resource=roadmap["x1"], state="done")
    progress_set(user=learner, resource=roadmap["x2"], state="done")
    kept = Event.objects.filter(user=learner).latest("id")  # (as a kept state's record)
    Event.objects.filter(pk=kept.pk).update(at=kept.at - timedelta(days=1))
    body = client.get("/api/v1/me/activity", **bearer(reader)).json()
    assert [i["resource"]["title"] for i in body["items"]] == ["X one", "X two"]
    assert body["items"][0]["at"] > body["items"][1]["at"]


def test_the_schema_and_its_docs_are_served_by_the_app(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    assert {
        "/api/v1/roadmaps",
        "/api/v1/roadmaps/{slug}",
        "/api/v1/me/progress",
        "/api/v1/me/progress/{public_id}",
        "/api/v1/me/activity",
    } <= set(schema["paths"])
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/ninja/swagger-ui-bundle" in html
    assert not re.search(r"""(src|href)=["']https?://""", html)  # nothing from a CDN
    assert csp_directives(docs)["script-src"] == "'self'"
    # HEAD answers wherever GET does, but is no operation of its own in the schema.
    operations = [
        (method, spec["operationId"])
        for path in schema["paths"].values()
        for method, spec in path.items()
    ]
    assert "head" not in {method for method, _ in operations}
    assert len({name for _, name in operations}) == len(operations)


def test_a_learners_tokens_are_in_their_data_and_go_with_their_account(client, learner, reader):
    client.force_login(learner)
    [token] = client.get("/me/export.json").json()["api_tokens"]
    assert token["name"] == "widget" and token["scope"] == "read"
    assert reader not in str(token) and Token.objects.get().digest not in str(token)
    learner.delete()
    assert not Token.objects.exists()
    assert Client().get("/api/v1/me/progress", **bearer(reader)).status_code == 401


def test_answers_write_djangos_lazy_text_and_refuse_what_they_cannot_write():
    written = endpoints.JSON().render(None, {"state": gettext_lazy("Done")}, response_status=200)
    assert json.loads(written) == {"state": "Done"}
    with pytest.raises(ValueError, match="cannot be written as JSON"):
        endpoints.JSON().render(None, {"state": object()}, response_status=200)


def test_an_address_that_names_no_operation_is_a_json_404(client, db):
    for path in ["/api/v1/", "/api/v1/nothing", "/api/v1/roadmaps/deep-learning/extra"]:
        answer = client.get(path)
        assert answer.status_code == 404
        assert answer.json()["code"] == "not_found", path


def test_every_error_is_json_of_one_shape(client, learner, roadmap, reader, monkeypatch):
    wrong_method = client.post("/api/v1/roadmaps")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["code"] == "method_not_allowed"
    assert wrong_method["Allow"] == "GET, HEAD"
    for path in ["/api/v1/openapi.json", "/api/v1/docs"]:
        answer = Client(enforce_csrf_checks=True).post(path)
        assert answer.status_code == 405 and answer.json()["code"] == "method_not_allowed"
    put_only = client.get(f"/api/v1/me/progress/{roadmap['x1'].public_id}", **bearer(reader))
    assert put_only.status_code == 405 and put_only["Allow"] == "PUT"
    # A write to an address that names nothing is a 404 too, never a page about cookies.
    strict = Client(enforce_csrf_checks=True)
    nowhere = strict.put(f"/api/v1/me/progress/{roadmap['x1'].public_id}/", "{}")
    assert nowhere.status_code == 404 and nowhere.json()["code"] == "not_found"

    def broken(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(endpoints, "learner_state", broken)
    failed = Client(raise_request_exception=False).get("/api/v1/me/progress", **bearer(reader))
    assert failed.status_code == 500
    assert failed.json() == {
        "code": "server_error",
        "detail": "Something went wrong on our side. It has been recorded.",
    }


def test_wrong_tokens_are_limited_per_address(client, learner, roadmap, reader, monkeypatch):
    monkeypatch.setattr(wrong_tokens, "num_requests", 2)
    assert client.get("/api/v1/me/progress", **bearer("dlr_guess")).status_code == 401
    assert put_state(client, roadmap["x1"], "done", reader).status_code == 403  # counted too
    refused = client.get("/api/v1/me/progress", **bearer("dlr_guess"))
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    # A valid token is not counted against its address, nor refused by it.
    assert client.get("/api/v1/me/progress", **bearer(reader)).status_code == 200
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert other.get("/api/v1/me/progress", **bearer("dlr_guess")).status_code == 401


def test_wrong_tokens_from_one_ipv6_network_share_its_allowance(db, monkeypatch):
    """One host has a whole /64 of addresses: counted as one, as allauth's limits count
    them; another network has its own allowance."""
    monkeypatch.setattr(wrong_tokens, "num_requests", 2)
    answers = [
        Client(REMOTE_ADDR=f"2001:db8:1:2::{n:x}")
        .get("/api/v1/me/progress", **bearer("dlr_guess"))
        .status_code
        for n in range(1, 5)
    ]
    assert answers == [401, 401, 429, 429]
    elsewhere = Client(REMOTE_ADDR="2001:db8:1:3::1")
    assert elsewhere.get("/api/v1/me/progress", **bearer("dlr_guess")).status_code == 401


def test_activity_is_paged_and_a_page_past_the_end_points_back_to_the_last(
    client, learner, roadmap, reader
):
    for state in ["in_progress", "done", "skipped", "done", "in_progress"]:
        progress_set(user=learner, resource=roadmap["x2"], state=state)
    first = client.get("/api/v1/me/activity?limit=2", **bearer(reader)).json()
    assert first["count"] == 5 and first["previous"] is None
    assert [i["after"] for i in first["items"]] == ["in_progress", "done"]
    last = client.get(first["next"].replace("offset=2", "offset=4"), **bearer(reader)).json()
    assert [i["after"] for i in last["items"]] == ["in_progress"] and last["next"] is None
    past = client.get("/api/v1/me/activity?limit=2&offset=40", **bearer(reader)).json()
    assert past["items"] == []
    assert past["previous"].endswith("limit=2&offset=3")


def test_a_write_costs_the_same_at_any_size(client, learner, writer, django_assert_max_num_queries):
    build_roadmap(parts=1, topics_per_part=1, resources_per_topic=3)
    small = Resource.objects.first()
    put_state(client, small, "done", writer)
    with django_assert_max_num_queries(2):  # the token (found, counted), the write
        put_state(client, small, "skipped", writer)
    build_roadmap(parts=6, topics_per_part=4, resources_per_topic=8, slug="big", title="Big")
    big = list(Resource.objects.filter(topic__part__roadmap__slug="big"))
    for resource in big[:100]:
        progress_set(user=learner, resource=resource, state="done")
    put_state(client, big[-1], "done", writer)
    with django_assert_max_num_queries(2):
        put_state(client, big[-1], "skipped", writer)


def test_the_list_says_which_tokens_were_never_used_and_which_have_expired(client, learner):
    token_create(user=learner, name="fresh", scope="read")
    old, _secret = token_create(user=learner, name="old", scope="read")
    Token.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(days=1))
    client.force_login(learner)
    rows = {
        name: row
        for row in re.findall(r"<tr>(.*?)</tr>", client.get("/me/tokens/").content.decode(), re.S)
        for name in re.findall(r'<th scope="row"[^>]*>([^<]+)</th>', row)
    }
    assert "Never used" in rows["fresh"] and "Expired" not in rows["fresh"]
    assert "Expired" in rows["old"]


def test_a_roadmaps_document_is_kept_once_whatever_address_it_is_asked_at(
    client, roadmap, monkeypatch
):
    """The document was made and kept once for each address of the site a request named,
    and a client names the port in its Host (nginx passes it on): forty ports, forty
    copies in every worker, without bound. Made once, it names each request's address."""
    from api import endpoints

    endpoints.documents.clear()
    made = []
    monkeypatch.setattr(
        endpoints,
        "roadmap_document",
        lambda *a, m=endpoints.roadmap_document: made.append(1) or m(*a),
    )
    for port in range(8001, 8041):
        answer = client.get("/api/v1/roadmaps/deep-learning", HTTP_HOST=f"testserver:{port}")
        assert answer.json()["url"] == f"http://testserver:{port}/roadmaps/deep-learning/"
    assert client.get("/api/v1/roadmaps/deep-learning").json()["url"] == (
        "http://testserver/roadmaps/deep-learning/"
    )
    assert len(made) == 1
    # A text holding the placeholder's characters is left as it is, and the JSON whole.
    Roadmap.objects.filter(slug="deep-learning").update(summary=r"Paths: C:\u0000/ is none.")
    answer = client.get("/api/v1/roadmaps/deep-learning").json()
    assert answer["summary"] == r"Paths: C:\u0000/ is none."
    assert answer["url"] == "http://testserver/roadmaps/deep-learning/"
