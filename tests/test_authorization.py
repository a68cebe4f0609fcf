"""Who may reach what: every URL pattern the project serves has an entry here, with the
status a visitor, a learner, another learner, a curator and a superuser get. A new
pattern without an entry fails the test (the way Zulip guards its URLs)."""

import pytest
from allauth.account.models import EmailAddress
from django.contrib import admin
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from activity.tasks import send_digests
from api.services import token_create
from curation.services import report_create, suggestion_create
from roadmap.models import Resource, Topic
from roadmap.services import progress_set, share_link_enable
from tests.factories import CuratorFactory, UserFactory

ROLES = ("visitor", "learner", "other_learner", "curator", "superuser")
ALL = dict.fromkeys(ROLES, 200)
LOGGED_IN = {"visitor": 302, "learner": 200, "other_learner": 200, "curator": 200, "superuser": 200}
ANONYMOUS_ONLY = {
    "visitor": 200,
    "learner": 302,
    "other_learner": 302,
    "curator": 302,
    "superuser": 302,
}
REDIRECT = dict.fromkeys(ROLES, 302)


def walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


# route -> (method, path, expected status per role). Paths may use {token} and {resource}.
MATRIX = {
    "": ("get", "/", ALL),
    "roadmaps/<slug:slug>/": ("get", "/roadmaps/deep-learning/", ALL),
    "search/": ("get", "/search/?q=python", ALL),
    "healthz": ("get", "/healthz", ALL),
    # Who may read metrics is a matter of address, not of account (tests/test_metrics.py):
    # the test client comes from loopback, allowed by default.
    "metrics": ("get", "/metrics", ALL),
    "resources/<uuid:public_id>/progress": ("post", "/resources/{resource}/progress", REDIRECT),
    "resources/<uuid:public_id>/note": ("get", "/resources/{resource}/note", LOGGED_IN),
    "me/": ("get", "/me/", LOGGED_IN),
    "me/profile/": ("get", "/me/profile/", LOGGED_IN),
    "me/export.json": ("get", "/me/export.json", LOGGED_IN),
    "me/delete/": ("get", "/me/delete/", LOGGED_IN),
    "me/sharing/": ("get", "/me/sharing/", LOGGED_IN),
    "me/reset/": ("get", "/me/reset/", LOGGED_IN),
    "p/<share_token:token>/": ("get", "/p/{token}/", ALL),
    "p/<share_token:token>/badge.svg": ("get", "/p/{token}/badge.svg", ALL),
    "p/<share_token:token>/<slug:slug>/badge.svg": (
        "get",
        "/p/{token}/deep-learning/badge.svg",
        ALL,
    ),
    "accounts/login/": ("get", "/accounts/login/", ANONYMOUS_ONLY),
    "accounts/signup/": ("get", "/accounts/signup/", ANONYMOUS_ONLY),
    "accounts/logout/": ("get", "/accounts/logout/", {**LOGGED_IN, "visitor": 302}),
    "accounts/inactive/": ("get", "/accounts/inactive/", ALL),
    "accounts/reauthenticate/": ("get", "/accounts/reauthenticate/", LOGGED_IN),
    "accounts/email/": ("get", "/accounts/email/", LOGGED_IN),
    "accounts/confirm-email/": ("get", "/accounts/confirm-email/", ALL),
    "accounts/password/change/": ("get", "/accounts/password/change/", LOGGED_IN),
    # Everyone here has a password already: allauth sends them to change it instead.
    "accounts/password/set/": ("get", "/accounts/password/set/", REDIRECT),
    "accounts/password/reset/": ("get", "/accounts/password/reset/", ALL),
    "accounts/password/reset/done/": ("get", "/accounts/password/reset/done/", ALL),
    "accounts/password/reset/key/done/": ("get", "/accounts/password/reset/key/done/", ALL),
    "accounts/^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$": (
        "get",
        "/accounts/password/reset/key/1-not-a-key/",
        ALL,  # a page that says the link is bad
    ),
    "accounts/^confirm-email/(?P<key>[-:\\w]+)/$": (
        "get",
        "/accounts/confirm-email/not-a-key/",
        ALL,  # a page that says the link is bad
    ),
    # The weekly summary's unsubscribe link: for anyone with it, and a bad token is 400.
    "activity/unsubscribe/<str:token>/": (
        "get",
        "/activity/unsubscribe/not-a-token/",
        dict.fromkeys(ROLES, 400),
    ),
    # Suggesting is for learners; reporting a problem, for anyone.
    "topics/<int:topic_id>/suggest": ("get", "/topics/{topic}/suggest", LOGGED_IN),
    "resources/<uuid:public_id>/report": ("get", "/resources/{resource}/report", ALL),
    # Sign-in providers (allauth's): the page of one's own, for learners; the pages a
    # provider's answer lands on, for anyone; a social sign-up with none pending sends
    # everyone back; the old addresses move to the new.
    "accounts/3rdparty/": ("get", "/accounts/3rdparty/", LOGGED_IN),
    "accounts/3rdparty/login/cancelled/": ("get", "/accounts/3rdparty/login/cancelled/", ALL),
    "accounts/3rdparty/login/error/": (
        "get",
        "/accounts/3rdparty/login/error/",
        dict.fromkeys(ROLES, 401),  # a page that says the sign-in failed
    ),
    "accounts/3rdparty/signup/": ("get", "/accounts/3rdparty/signup/", REDIRECT),
    **{
        f"accounts/social/{rest}": ("get", f"/accounts/social/{rest}", dict.fromkeys(ROLES, 301))
        for rest in ("connections/", "login/cancelled/", "login/error/", "signup/")
    },
    # A provider not configured (none is, here) has no pages; tests/test_social_login.py
    # drives them configured.
    **{
        route: ("get", f"/{route}", dict.fromkeys(ROLES, 404))
        for route in (
            "accounts/github/login/",
            "accounts/github/login/callback/",
            "accounts/google/login/",
            "accounts/google/login/callback/",
            "accounts/google/login/token/",
        )
    },
    # Tokens are made on a learner's page and revoked by their learner alone.
    "me/tokens/": ("get", "/me/tokens/", LOGGED_IN),
    "me/tokens/<int:pk>/revoke": (
        "post",
        "/me/tokens/{api_token}/revoke",
        {"visitor": 302, "learner": 302, **dict.fromkeys(ROLES[2:], 404)},
    ),
    # The API: the session cookie opens nothing of it (API_MATRIX: what tokens open).
    "api/v1/": ("get", "/api/v1/", dict.fromkeys(ROLES, 404)),
    "^api/v1/.": ("get", "/api/v1/nothing/here", dict.fromkeys(ROLES, 404)),
    **{
        route: ("get", f"/{route}", ALL)
        for route in ("api/v1/openapi.json", "api/v1/docs", "api/v1/roadmaps")
    },
    "api/v1/roadmaps/<slug>": ("get", "/api/v1/roadmaps/deep-learning", ALL),
    "api/v1/me/progress": ("get", "/api/v1/me/progress", dict.fromkeys(ROLES, 401)),
    "api/v1/me/activity": ("get", "/api/v1/me/activity", dict.fromkeys(ROLES, 401)),
    "api/v1/me/progress/<public_id>": (
        "put",
        "/api/v1/me/progress/{resource}",
        dict.fromkeys(ROLES, 401),
    ),
    # No login code is pending: everyone is sent back.
    "accounts/login/code/confirm/": ("get", "/accounts/login/code/confirm/", REDIRECT),
}


def admin_matrix() -> dict:
    """Admin's routes: staff with the model's permission get in, learners are sent to the
    admin login, curators get 403 outside the roadmap's content."""
    entries = {
        "admin/": ("get", "/admin/", {**REDIRECT, "curator": 200, "superuser": 200}),
        # allauth's login for visitors, admin for staff; learners are not let in.
        "admin/login/": (
            "get",
            "/admin/login/",
            {**REDIRECT, "learner": 403, "other_learner": 403},
        ),
        # Logging out takes a POST from staff; anyone else's GET is sent away.
        "admin/logout/": ("get", "/admin/logout/", {**REDIRECT, "curator": 405, "superuser": 405}),
        "admin/password_change/": (
            "get",
            "/admin/password_change/",
            {**REDIRECT, "curator": 200, "superuser": 200},
        ),
        "admin/password_change/done/": (
            "get",
            "/admin/password_change/done/",
            {**REDIRECT, "curator": 200, "superuser": 200},
        ),
        "admin/autocomplete/": (
            "get",
            "/admin/autocomplete/",
            {**REDIRECT, "curator": 403, "superuser": 403},
        ),
        "admin/jsi18n/": ("get", "/admin/jsi18n/", {**REDIRECT, "curator": 200, "superuser": 200}),
        "admin/r/<path:content_type_id>/<path:object_id>/": (
            "get",
            "/admin/r/0/0/",
            {**REDIRECT, "curator": 404, "superuser": 404},
        ),
        "admin/^(?P<app_label>procrastinate|auth|account|accounts|roadmap|curation|api)/$": (
            "get",
            "/admin/roadmap/",
            {**REDIRECT, "curator": 200, "superuser": 200},
        ),
        # Admin's catch-all: the login for outsiders, 404 for staff.
        "admin/(?P<url>.*)$": (
            "get",
            "/admin/nothing/",
            {**REDIRECT, "curator": 404, "superuser": 404},
        ),
        "admin/roadmap/roadmap/import/": (
            "get",
            "/admin/roadmap/roadmap/import/",
            {**REDIRECT, "curator": 200, "superuser": 200},
        ),
        "admin/roadmap/roadmap/export/": (
            "get",
            "/admin/roadmap/roadmap/export/",
            {**REDIRECT, "curator": 200, "superuser": 200},
        ),
    }
    # A roadmap's insights, for curators; computing them afresh takes a POST.
    entries["admin/curation/insights/<int:roadmap_id>/figures/"] = (
        "get",
        "/admin/curation/insights/{curation/insights}/figures/",
        {**REDIRECT, "curator": 200, "superuser": 200},
    )
    entries["admin/curation/insights/refresh/"] = (
        "get",
        "/admin/curation/insights/refresh/",
        {**REDIRECT, "curator": 405, "superuser": 405},
    )
    nobody = {**REDIRECT, "curator": 403, "superuser": 403}
    for model in admin.site._registry:
        label = f"{model._meta.app_label}/{model._meta.model_name}"
        curated = model._meta.app_label in ("roadmap", "curation")
        allowed = {**REDIRECT, "curator": 200 if curated else 403, "superuser": 200}
        # The first roadmap object of each kind holds a learner's tick: deleting it is
        # refused with a redirect to its change page, for staff too. The job runner's
        # pages are read-only: nobody adds or deletes a job there. Suggestions and
        # reports come from learners, never from admin; insights are only read. API tokens
        # are made by their learners only (admin may revoke one).
        deletable = REDIRECT if model._meta.app_label == "roadmap" else allowed
        addable = allowed
        if model._meta.app_label == "procrastinate" or label == "curation/insights":
            deletable = addable = nobody
        elif model._meta.app_label in ("curation", "api"):
            addable = nobody
        entries |= {
            f"admin/{label}/": ("get", f"/admin/{label}/", allowed),
            f"admin/{label}/add/": ("get", f"/admin/{label}/add/", addable),
            f"admin/{label}/<path:object_id>/history/": (
                "get",
                f"/admin/{label}/{{{label}}}/history/",
                allowed,
            ),
            f"admin/{label}/<path:object_id>/delete/": (
                "get",
                f"/admin/{label}/{{{label}}}/delete/",
                deletable,
            ),
            f"admin/{label}/<path:object_id>/change/": (
                "get",
                f"/admin/{label}/{{{label}}}/change/",
                allowed,
            ),
            # The bare object URL redirects to its change page, for everyone.
            f"admin/{label}/<path:object_id>/": ("get", f"/admin/{label}/{{{label}}}/", REDIRECT),
        }
    if "accounts/user" in {
        f"{m._meta.app_label}/{m._meta.model_name}" for m in admin.site._registry
    }:
        entries["admin/accounts/user/<id>/password/"] = (
            "get",
            "/admin/accounts/user/{accounts/user}/password/",
            {**REDIRECT, "curator": 403, "superuser": 200},
        )
    return entries


def test_every_url_pattern_has_an_entry():
    routes = set(walk(get_resolver().url_patterns))
    missing = routes - set(MATRIX) - set(admin_matrix())
    assert not missing, f"URL patterns with no authorization entry: {sorted(missing)}"


@pytest.fixture
def users(seed):
    curator = CuratorFactory()
    users = {
        "visitor": None,
        "learner": UserFactory(username="learner_a"),
        "other_learner": UserFactory(username="learner_b"),
        "curator": curator,
        "superuser": UserFactory(username="root", is_staff=True, is_superuser=True),
    }
    progress_set(user=users["learner"], resource=Resource.objects.first(), done=True)
    EmailAddress.objects.create(user=users["learner"], email="a@example.com", primary=True)
    send_digests.defer(timestamp=0)  # a job, for the runner's admin pages
    # A suggestion and a report, for the queue's admin pages.
    resource = Resource.objects.first()
    suggestion_create(
        user=users["learner"],
        topic=resource.topic,
        url="https://example.org/new",
        title="New",
        why="It is good.",
        credit=False,
    )
    report_create(resource=resource, user=users["learner"], problem="broken", comment="")
    return users


def test_authorization_matrix(users):
    """Every route, for every role: the status it gets, and the same for HEAD. One test
    for every route (the seed and the users made once), reporting every route that
    differs, not only the first."""
    token_create(user=users["learner"], name="listed", scope="read")  # for admin's pages
    values = {
        "token": share_link_enable(user=users["learner"]).token,
        "resource": Resource.objects.first().public_id,
        "topic": Topic.objects.first().pk,
        **{
            f"{model._meta.app_label}/{model._meta.model_name}": model._default_manager.order_by(
                "pk"
            )
            .first()
            .pk
            for model in admin.site._registry
            if model._default_manager.exists()
        },
    }
    signed_in: dict[str, Client] = {}

    def client_of(role: str) -> Client:
        """A visitor's client, new for each route; a signed-in role's, kept from route to
        route (signing in is the slow part), signed in again once a route signed it out."""
        if users[role] is None:
            return Client()
        kept = signed_in.get(role)
        if kept is None or SESSION_KEY not in kept.session:
            kept = signed_in[role] = Client()
            kept.force_login(users[role])
        return kept

    wrong = []
    for route, (method, path, expected) in sorted((MATRIX | admin_matrix()).items()):
        if "{api_token}" in path:  # a token of its own for the route that revokes one
            values["api_token"] = token_create(user=users["learner"], name="m", scope="read")[0].pk
        path = path.format(**values)
        for role in ROLES:
            client = client_of(role)
            response = getattr(client, method)(path, {"done": "1"} if method == "post" else None)
            if response.status_code != expected[role]:
                wrong.append(f"{route}: {role} {method.upper()} {path} got {response.status_code}")
            if method == "get":
                # Load balancers and uptime checkers send HEAD: it is answered wherever GET
                # is.
                head = client.head(path)
                if route == "admin/login/" and response.status_code == 302 and users[role]:
                    # Django's admin login sends signed-in staff on only for a GET; a HEAD
                    # gets the page itself.
                    answered = 200
                else:
                    answered = response.status_code
                if head.status_code != answered or head.content:
                    wrong.append(f"{route}: {role} HEAD {path} got {head.status_code}")
    assert not wrong, "\n".join(wrong)


# The API's routes, by what each role's token opens: "read" and "write" are the scopes of
# a token of the role's own ("none": no token, a visitor). A route reaches its token's
# learner's data only, so every learner, curator and superuser gets the same.
OPENS = {"none": 401, "read": 200, "write": 200}
API_MATRIX = {
    "api/v1/": ("get", "/api/v1/", dict.fromkeys(OPENS, 404)),
    "^api/v1/.": ("get", "/api/v1/nothing/here", dict.fromkeys(OPENS, 404)),
    "api/v1/openapi.json": ("get", "/api/v1/openapi.json", dict.fromkeys(OPENS, 200)),
    "api/v1/docs": ("get", "/api/v1/docs", dict.fromkeys(OPENS, 200)),
    "api/v1/roadmaps": ("get", "/api/v1/roadmaps", dict.fromkeys(OPENS, 200)),
    "api/v1/roadmaps/<slug>": ("get", "/api/v1/roadmaps/deep-learning", dict.fromkeys(OPENS, 200)),
    "api/v1/me/progress": ("get", "/api/v1/me/progress", OPENS),
    "api/v1/me/activity": ("get", "/api/v1/me/activity", OPENS),
    "api/v1/me/progress/<public_id>": (
        "put",
        "/api/v1/me/progress/{resource}",
        {"none": 401, "read": 403, "write": 200},
    ),
}


def test_every_api_route_has_an_entry():
    routes = {route for route in walk(get_resolver().url_patterns) if "api/v1/" in route}
    assert routes == set(API_MATRIX)


@pytest.mark.parametrize("route", sorted(API_MATRIX))
def test_api_authorization_matrix(client, users, route):
    method, path, expected = API_MATRIX[route]
    path = path.format(resource=Resource.objects.first().public_id)
    for role in ROLES:
        for scope, status in expected.items():
            if (role == "visitor") != (scope == "none"):
                continue
            headers = {}
            if scope != "none":
                _token, secret = token_create(user=users[role], name=scope, scope=scope)
                headers["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
            if method == "put":
                response = client.put(
                    path, {"state": "done"}, content_type="application/json", **headers
                )
            else:
                response = client.get(path, **headers)
                assert client.head(path, **headers).status_code == status
            assert response.status_code == status, f"{role} ({scope}) {method.upper()} {path}"
