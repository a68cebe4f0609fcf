"""Sessions that record their user and are read with it in one query
(accounts/sessions.py), and everything Django checks about a signed-in session: whatever
signs a learner out of a page stops their ticks."""

from importlib import import_module

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Session, User
from tests.factories import UserFactory
from tests.progress_helpers import ROADMAP

PASSWORD = "correct horse battery staple"


def signed_in(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def ada(db):
    return UserFactory(username="ada", password=PASSWORD)


def test_a_signed_in_request_reads_its_session_and_user_in_one_query(ada):
    client = signed_in(ada)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/me/profile/").status_code == 200
    reads = [q["sql"] for q in queries if "session" in q["sql"] or "accounts_user" in q["sql"]]
    assert len(reads) == 1 and "JOIN accounts_user" in reads[0]
    assert Session.objects.get().user == ada


def test_changing_the_password_signs_out_every_other_session(ada):
    elsewhere = signed_in(ada)
    here = signed_in(ada)
    response = here.post(
        "/accounts/password/change/",
        {
            "oldpassword": PASSWORD,
            "password1": "a-new-Passphrase-42",
            "password2": "a-new-Passphrase-42",
        },
    )
    assert response.status_code == 302
    assert here.get("/me/").status_code == 200  # the session that changed it stays in
    assert elsewhere.get("/me/").status_code == 302  # the other one is out


def test_a_deactivated_learner_is_signed_out(ada):
    client = signed_in(ada)
    User.objects.filter(pk=ada.pk).update(is_active=False)
    assert client.get("/me/").status_code == 302


def test_deleting_a_learner_ends_their_sessions(ada):
    signed_in(ada)
    signed_in(ada)
    assert Session.objects.filter(user=ada).count() == 2
    ada.delete()
    assert not Session.objects.exists()


def test_a_session_whose_user_column_disagrees_is_judged_by_its_data(ada):
    """The joined user is only taken when it is the user the session data names."""
    bob = UserFactory(password=PASSWORD)
    client = signed_in(ada)
    Session.objects.update(user=bob)
    response = client.get("/me/profile/")
    assert response.status_code == 200
    assert response.wsgi_request.user.pk == ada.pk


def test_an_expired_session_is_signed_out(ada):
    client = signed_in(ada)
    Session.objects.update(expire_date=timezone.now())
    assert client.get("/me/").status_code == 302


def test_sessions_from_before_the_change_are_carried_over(ada):
    """The migration's copy: a live session in Django's own table keeps its learner in."""
    migration = import_module("accounts.migrations.0002_sessions_know_their_user")
    old = DjangoSessionStore()
    old[SESSION_KEY] = str(ada.pk)
    old["_auth_user_backend"] = "accounts.backends.ModelBackend"
    old["_auth_user_hash"] = ada.get_session_auth_hash()
    old.create()
    Session.objects.all().delete()

    from django.apps import apps

    migration.keep_signed_in_learners(apps, None)
    carried = Session.objects.get(session_key=old.session_key)
    assert carried.user == ada
    client = Client()
    client.cookies["sessionid"] = old.session_key
    assert client.get("/me/").status_code == 200


def test_session_text_that_fails_its_signature_is_refused_even_after_good_text(ada):
    """Session text whose signature fails signs nobody in, even right after the same
    session's good text did."""
    client = signed_in(ada)
    assert client.get("/me/").status_code == 200
    session = Session.objects.get()
    Session.objects.update(session_data=session.session_data[:-3] + "AAA")
    assert client.get("/me/").status_code == 302


def test_a_session_saved_for_a_user_deleted_meanwhile_fails_nothing_and_signs_in_nobody(ada):
    """A request may save its session while its user is being deleted: no error, and the
    session signs nobody in afterwards."""
    from accounts.sessions import SessionStore

    client = signed_in(ada)
    store = SessionStore(client.cookies["sessionid"].value)
    assert store[SESSION_KEY] == str(ada.pk)  # the request has read its session...
    User.objects.filter(pk=ada.pk).delete()  # ...the user goes, their sessions with them
    store["note"] = "saved after the user went"
    store.save(must_create=True)  # ...and the request saves what it has
    assert Session.objects.get(session_key=store.session_key).user_id == ada.pk
    assert client.get("/me/").status_code == 302


# Whatever would sign the learner out for a page must refuse the tick too, even right
# after the same session has been seen signed in by this process.


@pytest.fixture
def resource(db):
    from tests.factories import ResourceFactory

    return ResourceFactory(title="Deep Learning")


def tick(client, resource, *, htmx: bool = True, done: str = "1"):
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(f"/resources/{resource.public_id}/progress", {"done": done}, headers=headers)


def verified(client) -> Client:
    """The client's session, seen by this process to sign its learner in."""
    assert client.get("/me/").status_code == 200
    return client


def change_password_elsewhere(ada):
    ada.set_password("a-new-Passphrase-42")
    ada.save()


def sign_out_elsewhere(ada):
    signed_in(ada).post("/accounts/logout/")
    Session.objects.all().delete()  # "sign out everywhere"


SIGN_OUTS = {
    "signed out": sign_out_elsewhere,
    "password changed": change_password_elsewhere,
    "deactivated": lambda ada: User.objects.filter(pk=ada.pk).update(is_active=False),
    "expired": lambda ada: Session.objects.update(expire_date=timezone.now()),
    "deleted": lambda ada: ada.delete(),
    "session text tampered with": lambda ada: Session.objects.update(
        session_data=Session.objects.get().session_data[:-3] + "AAA"
    ),
}


@pytest.mark.parametrize("htmx", [True, False])
@pytest.mark.parametrize("sign_out", SIGN_OUTS.values(), ids=SIGN_OUTS.keys())
def test_a_tick_after_signing_out_writes_nothing(ada, resource, sign_out, htmx):
    """Signed out, the browser is a visitor's: the tick is kept in its session only."""
    from roadmap.models import Progress

    client = verified(signed_in(ada))
    sign_out(ada)
    response = tick(client, resource, htmx=htmx)
    assert response.status_code == (200 if htmx else 302)
    if htmx:  # a visitor's answer: their own figures, a token of its own
        assert 'csrfmiddlewaretoken" value="' in response.content.decode()
    else:
        assert response["Location"] == f"{ROADMAP}#{resource.anchor}"
    assert not Progress.objects.exists()


@pytest.mark.parametrize("done", ["1", "0"])
@pytest.mark.parametrize("sign_out", SIGN_OUTS.values(), ids=SIGN_OUTS.keys())
def test_a_tick_from_a_learners_page_whose_session_ended_is_refused_and_said(
    ada, resource, sign_out, done
):
    """The learner's page was open when their session ended (logged out in another tab,
    or expired): their tick or untick is not taken as a visitor's, which their next
    log-in would overturn without a word. Nothing is saved, and the page says so, with
    a link to log in."""
    from roadmap.models import Progress, VisitorProgress

    client = verified(signed_in(ada))
    page = client.get(ROADMAP).content.decode()
    assert '"X-Signed-In": "true"' in page  # what htmx sends from it
    if done == "0":
        assert tick(client, resource).status_code == 200
    sign_out(ada)
    before = list(Progress.objects.values_list("user", "work", "state"))
    response = client.post(
        f"/resources/{resource.public_id}/progress",
        {"done": done},
        headers={"HX-Request": "true", "HX-Current-URL": f"http://testserver{ROADMAP}",
                 "X-Signed-In": "true"},
    )  # fmt: skip
    assert response.status_code == 401
    said = response.content.decode()
    assert "You are not logged in any more, so this was not saved." in said
    assert f'href="/accounts/login/?next={ROADMAP.replace("/", "%2F")}"' in said
    assert list(Progress.objects.values_list("user", "work", "state")) == before
    assert not VisitorProgress.objects.exists()


@pytest.mark.parametrize(
    "sign_out",
    [way for name, way in SIGN_OUTS.items() if name != "deleted"],  # that deletes the rows
    ids=[name for name in SIGN_OUTS if name != "deleted"],
)
def test_an_untick_after_signing_out_deletes_nothing(ada, resource, sign_out):
    """The untick is a DELETE of its own, and carries the same condition as the tick."""
    from roadmap.models import Progress

    client = verified(signed_in(ada))
    assert tick(client, resource).status_code == 200
    sign_out(ada)
    response = tick(client, resource, done="0")
    assert response.status_code == 200  # a visitor's untick, in a session of their own
    assert Progress.objects.filter(user=ada, work__resources=resource).exists()


def test_a_session_that_changed_but_still_signs_in_still_ticks(ada, resource):
    """A session whose text has changed (here, a value added by another request) still
    signs its learner in: the tick is made."""
    from accounts.sessions import SessionStore
    from roadmap.models import Progress

    client = verified(signed_in(ada))
    store = SessionStore(client.cookies["sessionid"].value)
    store["note"] = "changed by another request"
    store.save()
    assert tick(client, resource).status_code == 200
    assert Progress.objects.filter(user=ada, work__resources=resource).exists()


def test_each_verified_session_ticks_for_its_own_learner(ada, resource):
    from roadmap.models import Progress

    bob = UserFactory(password=PASSWORD)
    ada_client, bob_client = verified(signed_in(ada)), verified(signed_in(bob))
    assert tick(bob_client, resource).status_code == 200
    assert list(Progress.objects.values_list("user", flat=True)) == [bob.pk]
    assert tick(ada_client, resource).status_code == 200
    assert Progress.objects.filter(user=ada).count() == 1


def test_a_tick_without_javascript_on_a_verified_session_is_saved_and_said(ada, resource):
    from roadmap.models import Progress

    client = verified(signed_in(ada))
    response = tick(client, resource, htmx=False)
    assert response.status_code == 302 and response["Location"].endswith(
        f"#resource-{resource.public_id}"
    )
    assert Progress.objects.filter(user=ada, work__resources=resource).exists()
    assert "Deep Learning marked as done." in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize("done", ["", "2", "yes"])
def test_a_verified_session_sending_no_clear_state_changes_nothing(ada, resource, done):
    from roadmap.models import Progress

    client = verified(signed_in(ada))
    response = client.post(
        f"/resources/{resource.public_id}/progress", {"done": done}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 400
    assert not Progress.objects.exists()


def test_a_session_planted_under_another_cookie_name_is_not_taken(ada, settings):
    """Production's cookie is __Host-sessionid, which only this host can set over HTTPS.
    A plain "sessionid" cookie, which a sibling subdomain or a man in the middle could
    plant, is never taken for a session: neither a signed-in one (the victim would act
    as the attacker) nor a visitor's (its ticks would merge into the victim's account)."""
    from roadmap.models import Progress
    from tests.factories import ResourceFactory
    from tests.progress_helpers import ticked

    resource = ResourceFactory()
    attacker = signed_in(ada)  # a signed-in session, under "sessionid"
    visitor = Client()  # and a visitor's with a tick
    visitor.post(f"/resources/{resource.public_id}/progress", {"done": "1"})
    settings.SESSION_COOKIE_NAME = "__Host-sessionid"
    victim = Client()
    victim.cookies["sessionid"] = attacker.cookies["sessionid"].value
    assert victim.get("/me/").status_code == 302  # not signed in as ada
    victim = Client()
    victim.cookies["sessionid"] = visitor.cookies["sessionid"].value
    assert ticked(victim.get(ROADMAP).content.decode()) == set()
    UserFactory(username="victim", password=PASSWORD)
    victim.post("/accounts/login/", {"login": "victim", "password": PASSWORD})
    assert "Hello, victim." in victim.get("/me/").content.decode()
    assert not Progress.objects.filter(user__username="victim").exists()
