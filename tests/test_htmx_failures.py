"""An in-place action (htmx) that fails is told so in the page's alert region, in a
sentence, with its status: never dropped in silence, and never an error page or the
log-in page swapped over the control it came from (and what was typed in it)."""

import pytest
from django.test import Client

from roadmap.models import Note, Progress, Resource
from roadmap.services import resource_status_set
from tests.factories import UserFactory
from tests.progress_helpers import HTMX, ROADMAP, tick

ALERT = "#page-alert"


def alert_of(response) -> str:
    assert response["HX-Retarget"] == ALERT and response["HX-Reswap"] == "innerHTML"
    assert response["HX-Push-Url"] == "false"  # a page's address stays where it was
    body = response.content.decode()
    assert body.count('<p class="alert-body">') == 1 and "<html" not in body
    return body


@pytest.fixture
def ada(db):
    return UserFactory(username="ada")


def test_a_note_sent_after_the_session_ended_is_kept_and_the_learner_told(client, ada, three):
    """The editor stays with what was typed; the alert says why nothing was saved and
    links to logging in again, back to the page it was sent from."""
    client.force_login(ada)
    client.logout()
    answer = client.post(
        f"/resources/{three[0].public_id}/note",
        {"text": "Two hours of reading, summed up"},
        headers={**HTMX, "HX-Current-URL": f"http://testserver{ROADMAP}?kind=book"},
    )
    assert answer.status_code == 401
    said = alert_of(answer)
    assert "You are not logged in any more, so this was not saved." in said
    assert 'href="/accounts/login/?next=%2Froadmaps%2Fdeep-learning%2F%3Fkind%3Dbook"' in said
    assert not Note.objects.exists()
    # Without htmx: a page that says so, with the text to copy (test_notes.py).
    plain = client.post(f"/resources/{three[0].public_id}/note", {"text": "x"})
    assert plain.status_code == 403 and "this note was not saved" in plain.content.decode()


def test_a_tick_on_a_resource_archived_since_the_page_loaded_is_told(client, ada, three):
    client.force_login(ada)
    resource_status_set(resources=[three[0]], status=Resource.Status.ARCHIVED)
    answer = tick(client, three[0], done=True, htmx=True)
    assert answer.status_code == 404
    assert "This is not on the site any more" in alert_of(answer)
    assert not Progress.objects.exists()


def test_a_refused_token_and_a_bad_value_are_told_in_a_sentence(client, ada, three):
    guarded = Client(enforce_csrf_checks=True)
    guarded.force_login(ada)
    forged = tick(guarded, three[0], done=True, htmx=True)
    assert forged.status_code == 403
    assert "Reload the page, then try again." in alert_of(forged)
    client.force_login(ada)
    bad = client.post(
        f"/resources/{three[0].public_id}/progress", {"state": "finished"}, headers=HTMX
    )
    assert bad.status_code == 400
    assert "Send done=1 or done=0, or state=" in alert_of(bad)
    assert not Progress.objects.exists()


def test_an_answer_that_says_where_it_goes_and_a_success_are_left_as_they_are(client, ada, three):
    client.force_login(ada)
    done = tick(client, three[0], done=True, htmx=True)
    assert done.status_code == 200 and "HX-Retarget" not in done
    assert 'class="resource' in done.content.decode()


def test_a_failure_on_our_side_is_a_sentence_too(client, ada, three, monkeypatch):
    from roadmap import views

    def broken(**kwargs):
        raise RuntimeError("the database fell over")

    monkeypatch.setattr(views, "progress_set", broken)
    failing = Client(raise_request_exception=False)
    failing.force_login(ada)
    answer = tick(failing, three[0], done=True, htmx=True)
    assert answer.status_code == 500
    # (It cannot know what was written before the failure.)
    assert "Reload the page to see what was saved" in alert_of(answer)


def test_opening_a_form_after_the_session_ended_says_to_log_in_and_no_more(client, ada, three):
    client.force_login(ada)
    client.logout()
    answer = client.get(f"/resources/{three[0].public_id}/note", headers=HTMX)
    said = alert_of(answer)
    assert answer.status_code == 401
    assert "You are not logged in any more. Log in again, then try again." in said
    assert "what you wrote" not in said


def test_the_answer_keeps_the_headers_the_site_gives_every_answer(client, ada, three):
    client.force_login(ada)
    resource_status_set(resources=[three[0]], status=Resource.Status.ARCHIVED)
    plain = tick(client, three[0], done=True)
    told = tick(client, three[0], done=True, htmx=True)
    for header in (
        "Content-Security-Policy",
        "X-Content-Type-Options",
        "X-Frame-Options",
        "Referrer-Policy",
        "Permissions-Policy",
    ):
        assert told[header] == plain[header]


def test_the_apis_answers_are_its_own(client, db):
    """JSON, with the API's shape, whoever asks."""
    answer = client.get("/api/v1/me/progress", headers=HTMX)
    assert answer.status_code == 401
    assert answer["Content-Type"].startswith("application/json") and "HX-Retarget" not in answer


@pytest.mark.django_db(transaction=True)
def test_a_tick_the_database_gave_up_on_says_nothing_was_saved_and_to_try_again(client):
    """Another transaction holds the learner's row (a reset of everything, say) past the
    statement timeout: the tick said "Something went wrong on our side" (a 500, logged
    as an error); it is a 503 saying nothing was saved, and to try again, in the page's
    alert with htmx and on a page of its own without."""
    import psycopg
    from django.db import connection

    from tests.factories import resources_in_one_topic

    [resource] = resources_in_one_topic(1)
    client.force_login(UserFactory())
    url = f"/resources/{resource.public_id}/progress"
    tick(client, resource, done=True)
    dsn = connection.settings_dict
    holder = psycopg.connect(dbname=dsn["NAME"], host=dsn["HOST"], user=dsn["USER"],
                             port=dsn["PORT"] or None)  # fmt: skip
    try:
        holder.execute("SELECT * FROM roadmap_progress FOR UPDATE")
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = '300ms'")
        in_page = client.post(url, {"state": "skipped"}, headers=HTMX)
        plain = client.post(url, {"state": "skipped"})
    finally:
        holder.close()
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 0")
    for answer in (in_page, plain):
        assert answer.status_code == 503 and answer["Retry-After"] == "5"
        assert "nothing was saved. Please try again" in answer.content.decode()
    assert (
        'id="page-alert"' not in plain.content.decode()
        and "<h1>Busy</h1>" in plain.content.decode()
    )
    assert Progress.objects.get().state == "done"
