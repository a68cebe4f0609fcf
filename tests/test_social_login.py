"""Sign-in with GitHub and Google through allauth's providers, the whole OAuth dance with
the providers' endpoints mocked at the HTTP layer (`responses`): no network."""

import json
import threading
import time
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import responses
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount

from roadmap.models import Progress
from tests.factories import UserFactory, resources_in_one_topic
from tests.progress_helpers import ROADMAP, tick

PROVIDERS = {
    "github": {"APPS": [{"client_id": "gh-id", "secret": "gh-secret"}], "SCOPE": ["user:email"]},
    "google": {
        "APPS": [{"client_id": "g-id", "secret": "g-secret"}],
        "SCOPE": ["profile", "email"],
    },
}


@pytest.fixture(autouse=True)
def providers(settings):
    settings.SOCIALACCOUNT_PROVIDERS = PROVIDERS


@pytest.fixture
def mocked():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def github(mock, *, uid=4321, login="octo", email="octo@example.com", verified=True):
    """GitHub as it answers a code: its token, the user, and their addresses."""
    mock.upsert(responses.POST, "https://github.com/login/oauth/access_token",
                 json={"access_token": "gh-token", "token_type": "bearer"})  # fmt: skip
    mock.upsert(responses.GET, "https://api.github.com/user",
                 json={"id": uid, "login": login, "name": "Octo Cat", "email": None})  # fmt: skip
    mock.upsert(responses.GET, "https://api.github.com/user/emails",
                 json=[{"email": email, "verified": verified, "primary": True}])  # fmt: skip


def google(mock, *, sub="g-1", email="ada@example.com", verified=True):
    """Google as it answers a code: a token with the user in its id_token (read, as
    allauth does, without a signature check: it came straight from Google over TLS)."""
    claims = {
        "iss": "https://accounts.google.com", "aud": "g-id", "sub": sub, "email": email,
        "email_verified": verified, "name": "Ada", "iat": int(time.time()),
        "exp": int(time.time()) + 600,
    }  # fmt: skip
    token = jwt.encode(claims, "a key Google never makes anyone check", algorithm="HS256")
    mock.upsert(responses.POST, "https://oauth2.googleapis.com/token",
                 json={"access_token": "g-token", "id_token": token, "token_type": "Bearer",
                       "expires_in": 3600})  # fmt: skip


def dance(client, provider: str, process: str = "login"):
    """Press the provider's button, come back from it with a code: the last answer."""
    go = client.post(f"/accounts/{provider}/login/", {"process": process})
    assert go.status_code == 302, go.content[:300]
    state = parse_qs(urlsplit(go["Location"]).query)["state"][0]
    return client.get(f"/accounts/{provider}/login/callback/", {"code": "a-code", "state": state})


def signed_in(client):
    return client.get("/me/").status_code == 200 and client.session.get("_auth_user_id")


@pytest.mark.parametrize("provider", ["github", "google"])
def test_a_new_learner_signs_up_with_a_provider(client, db, mocked, provider):
    (github if provider == "github" else google)(mocked)
    answer = dance(client, provider)
    assert answer.status_code == 302 and answer["Location"] == "/"
    account = SocialAccount.objects.get(provider=provider)
    assert account.uid == ("4321" if provider == "github" else "g-1")
    assert int(signed_in(client)) == account.user_id
    address = EmailAddress.objects.get(user=account.user)
    assert address.verified  # the provider said so


def test_a_returning_learner_is_found_by_the_provider_s_id_not_their_name_or_email(
    client, db, mocked
):
    github(mocked)
    dance(client, "github")
    first = SocialAccount.objects.get().user
    client.logout()
    github(mocked, login="octo-renamed", email="new@example.com")  # both changed on GitHub
    answer = dance(client, "github")
    assert answer.status_code == 302 and answer["Location"] == "/"
    assert int(signed_in(client)) == first.pk
    assert SocialAccount.objects.count() == 1 and type(first).objects.count() == 1


def test_a_verified_email_that_matches_a_verified_account_signs_into_it(client, db, mocked):
    ada = UserFactory(username="ada", email="ada@example.com")
    EmailAddress.objects.create(user=ada, email="ada@example.com", verified=True, primary=True)
    google(mocked)
    dance(client, "google")
    assert int(signed_in(client)) == ada.pk
    assert SocialAccount.objects.get().user == ada  # connected


@pytest.mark.parametrize("ours, theirs", [(True, False), (False, True)])
def test_an_unverified_email_never_signs_into_an_account(client, db, mocked, ours, theirs):
    ada = UserFactory(username="ada", email="ada@example.com")
    EmailAddress.objects.create(user=ada, email="ada@example.com", verified=ours, primary=True)
    google(mocked, verified=theirs)
    dance(client, "google")
    assert signed_in(client) != str(ada.pk)
    assert not SocialAccount.objects.filter(user=ada).exists()


def test_a_learner_connects_a_second_provider_and_lists_them_on_their_profile(client, db, mocked):
    ada = UserFactory(username="ada", email="ada@example.com")
    client.force_login(ada)
    github(mocked, email="elsewhere@example.com")
    dance(client, "github", process="connect")
    assert list(SocialAccount.objects.values_list("user", "provider")) == [(ada.pk, "github")]
    profile = client.get("/me/profile/").content.decode()
    assert "Sign-in providers" in profile and "GitHub" in profile
    assert 'href="/accounts/3rdparty/"' in profile


def test_the_last_way_to_log_in_cannot_be_disconnected(client, db, mocked):
    github(mocked)
    dance(client, "github")
    account = SocialAccount.objects.get()
    assert not account.user.has_usable_password()
    answer = client.post("/accounts/3rdparty/", {"account": account.pk})
    page = answer.content.decode()
    print(answer.status_code, answer.get("Location"), page[page.find("<main") :][:1500])
    assert answer.status_code == 200 and "Your account has no password set up." in page
    assert SocialAccount.objects.filter(pk=account.pk).exists()
    # With a password set, it may go.
    account.user.set_password("correct horse battery staple")
    account.user.save()
    client.force_login(account.user)
    client.post("/accounts/3rdparty/", {"account": account.pk})
    assert not SocialAccount.objects.exists()


def test_a_visitor_s_ticks_are_kept_at_a_social_sign_up(client, db, mocked):
    resources = resources_in_one_topic(3, title="Book ")
    client.get(ROADMAP)
    tick(client, resources[0], done=True)
    tick(client, resources[2], done=True)
    github(mocked)
    dance(client, "github")
    user = SocialAccount.objects.get().user
    assert set(Progress.objects.filter(user=user).values_list("work", flat=True)) == {
        resources[0].work_id,
        resources[2].work_id,
    }


@pytest.mark.parametrize(
    ("cookie", "kept"), [("Asia/Tokyo", "Asia/Tokyo"), ("Mars/Olympus_Mons", "UTC"), (None, "UTC")]
)
def test_a_social_sign_up_takes_the_browsers_zone_and_a_log_in_keeps_the_learners(
    client, db, mocked, cookie, kept
):
    """As at a password sign-up (static/js/site.js leaves the zone in a cookie of the
    account pages for the trip through the provider); a name that is no zone, or none,
    is UTC. A returning learner keeps the zone they chose."""
    if cookie is not None:
        client.cookies["time_zone"] = cookie
    github(mocked)
    dance(client, "github")
    learner = SocialAccount.objects.get().user
    assert learner.time_zone == kept
    type(learner).objects.filter(pk=learner.pk).update(time_zone="Europe/Berlin")
    client.logout()
    client.cookies["time_zone"] = "Asia/Tokyo"
    dance(client, "github")
    learner.refresh_from_db()
    assert int(signed_in(client)) == learner.pk and learner.time_zone == "Europe/Berlin"


def test_buttons_show_only_for_configured_providers(client, db, settings):
    page = client.get("/accounts/login/").content.decode()
    assert "GitHub" in page and "Google" in page
    assert "GitHub" in client.get("/accounts/signup/").content.decode()
    settings.SOCIALACCOUNT_PROVIDERS = {}
    page = client.get("/accounts/login/").content.decode()
    assert "GitHub" not in page and "Google" not in page


def test_a_provider_s_button_asks_before_it_leaves_the_site(client, db):
    """Its page is a form (a POST, so that no link elsewhere signs anyone in), for
    anyone; without the provider configured there is no such page."""
    page = client.get("/accounts/github/login/?process=login")
    assert page.status_code == 200 and 'method="post"' in page.content.decode()


@pytest.mark.parametrize("provider", ["github", "google"])
def test_the_policy_lets_a_provider_s_button_leave_for_its_sign_in_page(client, db, provider):
    """The button's form is posted to us and answered by a redirect to the provider,
    which Chrome and Safari check against the Content Security Policy's form-action: that
    names each configured provider's origin, and only theirs."""
    from django.conf import settings

    from tests.test_settings import load_settings

    leaves = client.post(f"/accounts/{provider}/login/", {"process": "login"})
    assert leaves.status_code == 302
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(leaves["Location"]))
    assert origin == settings.PROVIDER_ORIGINS[provider]
    probe = "print(*settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['form-action'])"
    prefix = provider.upper()
    configured = {f"{prefix}_CLIENT_ID": "id", f"{prefix}_CLIENT_SECRET": "secret"}
    assert load_settings(probe, **configured).stdout.split() == ["'self'", origin]
    assert load_settings(probe).stdout.split() == ["'self'"]


def test_an_unconfigured_provider_has_no_pages(client, db, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {"github": PROVIDERS["github"]}
    assert client.get("/accounts/google/login/").status_code == 404
    assert client.post("/accounts/google/login/", {"process": "login"}).status_code == 404


def test_a_provider_no_longer_offered_leaves_the_profile_and_connections_working(
    client, db, mocked, settings
):
    """A learner connected Google and GitHub; the operator then stops offering Google:
    their profile says so, their connections page lists GitHub only, and GitHub, now
    their only way to log in, stays until they set a password."""
    google(mocked)
    dance(client, "google")
    github(mocked)
    dance(client, "github", process="connect")
    settings.SOCIALACCOUNT_PROVIDERS = {"github": PROVIDERS["github"]}
    profile = client.get("/me/profile/")
    assert profile.status_code == 200
    assert "Google (no longer offered here)" in profile.content.decode()
    assert "GitHub: " in profile.content.decode()
    connections = client.get("/accounts/3rdparty/")
    assert connections.status_code == 200
    github_account = SocialAccount.objects.get(provider="github")
    assert f'value="{github_account.pk}"' in connections.content.decode()
    refused = client.post("/accounts/3rdparty/", {"account": github_account.pk})
    assert "Your account has no password set up." in refused.content.decode()
    assert SocialAccount.objects.count() == 2


def test_the_last_provider_offered_asks_for_a_verified_address_when_verification_is_mandatory(
    client, db, mocked, settings
):
    """As allauth asks of the last provider: a provider no longer offered is no way in."""
    google(mocked)
    dance(client, "google")
    github(mocked, email="octo@example.com", verified=False)
    dance(client, "github", process="connect")
    ada = SocialAccount.objects.get(provider="github").user
    ada.set_password("correct horse battery staple")
    ada.save()
    EmailAddress.objects.filter(user=ada).update(verified=False)
    client.force_login(ada)
    settings.SOCIALACCOUNT_PROVIDERS = {"github": PROVIDERS["github"]}
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    github_account = SocialAccount.objects.get(provider="github")
    refused = client.post("/accounts/3rdparty/", {"account": github_account.pk})
    assert "Your account has no verified email address." in refused.content.decode()
    assert SocialAccount.objects.filter(pk=github_account.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_two_removals_at_once_never_remove_the_last_way_to_log_in(mocked, monkeypatch):
    """Two tabs, each removing one of a learner's two providers (no password): one goes,
    the other is refused, however the two requests interleave."""
    from django.db import connection
    from django.test import Client

    from accounts.forms import DisconnectForm

    github(mocked)
    first = Client()
    dance(first, "github")
    google(mocked)
    dance(first, "google", process="connect")
    ada = SocialAccount.objects.get(provider="github").user
    both_checked = threading.Barrier(2, timeout=10)
    checked = DisconnectForm.clean

    def clean_then_wait(form):
        cleaned = checked(form)
        if not connection.in_atomic_block:  # the form's first check, unlocked
            both_checked.wait()
        return cleaned

    monkeypatch.setattr(DisconnectForm, "clean", clean_then_wait)

    def remove(account) -> None:
        tab = Client()
        tab.force_login(ada)
        tab.post("/accounts/3rdparty/", {"account": account.pk})
        connection.close()

    tabs = [threading.Thread(target=remove, args=(a,)) for a in SocialAccount.objects.all()]
    for tab in tabs:
        tab.start()
    for tab in tabs:
        tab.join()
    assert SocialAccount.objects.filter(user=ada).count() == 1


def test_a_learner_without_a_password_is_told_how_to_delete_and_their_export_names_providers(
    client, db, mocked
):
    github(mocked)
    dance(client, "github")
    page = client.get("/me/delete/").content.decode()
    assert "Set a password" in page and "Delete my account</button>" not in page
    [provider] = client.get("/me/export.json").json()["sign_in_providers"]
    assert (provider["provider"], provider["id"]) == ("github", "4321")
    # What the provider told the site of them, which allauth keeps, is theirs too.
    assert provider["profile"]["name"] == "Octo Cat" and provider["connected_at"]


def test_a_nul_in_the_provider_s_profile_is_left_out_and_signs_in(client, db, mocked):
    """PostgreSQL keeps no NUL: a provider's profile with one made the sign-in a 500, and
    every sign-in after it (allauth keeps the profile at each)."""
    github(mocked)
    mocked.upsert(responses.GET, "https://api.github.com/user",
                  json={"id": 4321, "login": "octo", "name": "Octo\u0000Cat"})  # fmt: skip
    for _ in range(2):  # signs up, then back
        dance(client, "github")
        assert signed_in(client)
        client.post("/accounts/logout/")
    assert SocialAccount.objects.get().extra_data["name"] == "OctoCat"


def test_a_provider_s_address_with_a_nul_is_no_address(client, db, mocked):
    """Never read as another address without it: the learner is asked for one."""
    address = "oc\u0000to@example.com"
    github(mocked, email=address)
    mocked.upsert(responses.GET, "https://api.github.com/user",
                  json={"id": 4321, "login": "octo", "name": "Octo", "email": address})  # fmt: skip
    answer = client.get(dance(client, "github")["Location"])
    assert answer.status_code == 200 and 'name="email"' in answer.content.decode()
    assert not signed_in(client) and not EmailAddress.objects.exists()
    form = {"email": "octo@example.com", "username": "octo"}
    assert client.post("/accounts/3rdparty/signup/", form).status_code == 302
    assert signed_in(client) and "\x00" not in json.dumps(SocialAccount.objects.get().extra_data)


def test_a_provider_that_times_out_fails_the_sign_in_and_the_log_says_why(client, db, mocked):
    """The learner sees the sign-in failed; the operator's log says why (GitHub timing out,
    answering 500, refusing the secret), where it said only "Unauthorized"."""
    import logging

    import requests

    github(mocked)
    mocked.upsert(responses.POST, "https://github.com/login/oauth/access_token",
                  body=requests.exceptions.ReadTimeout("timed out"))  # fmt: skip
    logged = []
    handler = logging.Handler()
    handler.emit = lambda record: logged.append(record.getMessage())
    logging.getLogger("accounts.adapters").addHandler(handler)
    try:
        answer = dance(client, "github")
    finally:
        logging.getLogger("accounts.adapters").removeHandler(handler)
    assert answer.status_code == 401 and not signed_in(client)
    assert any(line.startswith("Sign-in with github failed") and "ReadTimeout" in line
               for line in logged), logged  # fmt: skip
