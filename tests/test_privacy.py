"""A learner's data: exported whole, deleted whole, never shown to others."""

import json

import pytest
from allauth.account.models import EmailAddress

from accounts.models import User
from roadmap.models import Progress, Resource, ShareLink
from roadmap.services import progress_set, share_link_enable
from tests.factories import UserFactory

PASSWORD = "correct horse battery staple"


def test_export_returns_all_of_a_learners_data(client, seed):
    ada = UserFactory(username="ada", email="ada@example.com", display_name="Ada")
    EmailAddress.objects.create(user=ada, email="ada@example.com", primary=True, verified=False)
    resources = list(Resource.objects.order_by("pk")[:2])
    for resource in resources:
        progress_set(user=ada, resource=resource, done=True)
    link = share_link_enable(user=ada)
    progress_set(user=UserFactory(), resource=resources[0], done=True)  # someone else's
    client.force_login(ada)
    response = client.get("/me/export.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["account"]["username"] == "ada"
    assert data["account"]["email"] == "ada@example.com"
    assert data["account"]["display_name"] == "Ada"
    assert data["account"]["email_addresses"] == [
        {"email": "ada@example.com", "verified": False, "primary": True}
    ]
    assert [row["resource_id"] for row in data["progress"]] == [str(r.public_id) for r in resources]
    assert all(row["completed_at"] for row in data["progress"])
    assert data["sharing"]["enabled"] is True
    assert data["sharing"]["url"] == f"http://testserver/p/{link.token}/"


def test_export_without_sharing_says_so(client, learner):
    client.force_login(learner)
    data = json.loads(client.get("/me/export.json").content)
    assert data["sharing"] == {"enabled": False, "url": None, "since": None}
    assert data["progress"] == []


def test_export_and_delete_require_login(client, db):
    assert client.get("/me/export.json").status_code == 302
    assert client.get("/me/delete/").status_code == 302
    assert client.post("/me/delete/", {"password": "x"}).status_code == 302


def test_deleting_the_account_removes_user_progress_and_share_link(client, seed):
    ada = UserFactory(username="ada", password=PASSWORD)
    progress_set(user=ada, resource=Resource.objects.first(), done=True)
    token = share_link_enable(user=ada).token
    other = UserFactory()
    progress_set(user=other, resource=Resource.objects.first(), done=True)
    client.force_login(ada)
    assert "Delete my account" in client.get("/me/delete/").content.decode()
    response = client.post("/me/delete/", {"password": PASSWORD})
    assert response.status_code == 302
    assert not User.objects.filter(username="ada").exists()
    assert not Progress.objects.filter(user_id=ada.pk).exists()
    assert not ShareLink.objects.filter(token=token).exists()
    assert client.get(f"/p/{token}/").status_code == 404
    assert Progress.objects.filter(user=other).count() == 1  # nobody else's data
    assert client.get("/me/").status_code == 302  # logged out


def test_a_wrong_password_deletes_nothing(client, seed):
    ada = UserFactory(username="ada", password=PASSWORD)
    progress_set(user=ada, resource=Resource.objects.first(), done=True)
    client.force_login(ada)
    for data in [{"password": "wrong"}, {}, {"password": ""}]:
        response = client.post("/me/delete/", data)
        assert response.status_code == 200
        assert "errorlist" in response.content.decode()
    assert User.objects.filter(username="ada").exists()
    assert Progress.objects.filter(user=ada).count() == 1


def test_emails_appear_on_no_share_page_or_badge(client, seed):
    for display_name in ["", "Ada"]:
        owner = UserFactory(email=f"owner{display_name}@example.com", display_name=display_name)
        url = share_link_enable(user=owner).get_absolute_url()
        for path in [url, f"{url}badge.svg", f"{url}badge.svg?theme=dark"]:
            body = client.get(path).content.decode()
            assert owner.email not in body and "@example.com" not in body
            assert owner.username not in body


@pytest.mark.parametrize(
    "path",
    [
        "/me/",
        "/me/sharing/",
        "/me/profile/",
        "/me/delete/",
        "/me/export.json",
        "/me/reset/",
        "/accounts/email/",
        "/accounts/password/change/",
        "/",  # a learner's notes, and everybody's own CSRF token
    ],
)
def test_account_pages_are_never_kept_by_the_browser(client, seed, path):
    """Nobody can read them back from the browser's cache after the learner logs out."""
    ada = UserFactory()
    share_link_enable(user=ada)
    client.force_login(ada)
    response = client.get(path)
    assert response.status_code == 200
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= directives
    assert "public" not in directives


def test_account_deletion_is_no_password_oracle(client, seed):
    """Each POST costs a password hash: after allauth's password-change allowance (five
    a minute, one budget with the password change page) the answer is 429, and even the
    right password deletes nothing until the minute has passed."""
    ada = UserFactory(username="ada", password=PASSWORD)
    client.force_login(ada)
    statuses = [client.post("/me/delete/", {"password": "wrong"}).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    response = client.post("/me/delete/", {"password": PASSWORD})
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert User.objects.filter(username="ada").exists()
    # The password change page shares the budget: no fresh guesses there either.
    change = {
        "oldpassword": "wrong",
        "password1": "n3w-Passphrase!",
        "password2": "n3w-Passphrase!",
    }
    assert client.post("/accounts/password/change/", change).status_code == 429
    # Another account's allowance is its own.
    client.force_login(UserFactory(username="bob", password=PASSWORD))
    assert client.post("/me/delete/", {"password": "wrong"}).status_code == 200


def test_a_deleted_account_leaves_its_name_on_no_resource_it_suggested(client, seed):
    """A learner credited by name on a resource their suggestion became: the credit goes
    with the account; the resource, and what the curator wrote, stay."""
    from curation.models import Suggestion
    from curation.services import suggestion_accept

    ada = UserFactory(username="ada", display_name="Jane Q. Learner", password=PASSWORD)
    topic = Resource.objects.first().topic
    suggested = Suggestion.objects.create(
        user=ada, topic=topic, url="https://example.org/a", title="A", why="Good.", credit=True
    )
    resource = suggestion_accept(suggestion=suggested, publish=True)
    assert "Suggested by Jane Q" in client.get(resource.get_absolute_url()).content.decode()
    other = Suggestion.objects.create(
        user=UserFactory(display_name="Bo"), topic=topic, url="https://example.org/b",
        title="B", why="Also good.", credit=True,
    )  # fmt: skip
    twice = suggestion_accept(suggestion=other, publish=True)
    twice.description += "\n\n*Suggested by Jane Q\\. Learner.*"  # a curator's addition
    twice.save()
    client.force_login(ada)
    assert client.post("/me/delete/", {"password": PASSWORD}).status_code == 302
    resource.refresh_from_db()
    assert resource.status == "published" and resource.description == "Good."
    row = client.get(resource.get_absolute_url()).content.decode().split(resource.anchor)[1]
    assert "Jane Q" not in row.split("</li>")[0]
    twice.refresh_from_db()  # not from her suggestion: as the curator wrote it
    assert twice.description.count("Suggested by") == 2


def test_a_renamed_learner_is_credited_by_their_new_name_or_not_at_all(client, seed):
    """The credit on a resource is the learner's display name as it is now: a new one
    replaces it (a pseudonym for a real name, say), a blank one takes it off; another
    learner's credit line, and what the curator wrote, stay."""
    from curation.models import Suggestion
    from curation.services import suggestion_accept

    ada = UserFactory(username="ada", display_name="Jane Realname")
    topic = Resource.objects.first().topic
    suggested = Suggestion.objects.create(
        user=ada, topic=topic, url="https://example.org/a", title="A", why="Good.", credit=True
    )
    resource = suggestion_accept(suggestion=suggested, publish=True)
    resource.description += "\n\n*Suggested by Bo.*"  # a curator's addition, another's
    resource.save()
    client.force_login(ada)
    profile = {"time_zone": "UTC", "weekly_goal": ""}
    assert client.post("/me/profile/", profile | {"display_name": "J. R."}).status_code == 302
    page = client.get(resource.get_absolute_url()).content.decode()
    assert "Jane Realname" not in page and "Suggested by J. R." in page
    assert client.post("/me/profile/", profile | {"display_name": ""}).status_code == 302
    resource.refresh_from_db()
    assert resource.description == "Good.\n\n*Suggested by Bo.*"


def test_a_credited_name_holds_no_entity_and_one_written_before_is_still_found(client, seed):
    """A display name refuses direction marks, but `Ann&rlm;` wrote the entity into the
    credit line, which Markdown turned into the mark on the public page. "&" is escaped
    now; a line written before, with it bare, is still found by the next rename."""
    from curation.models import Suggestion
    from curation.services import suggestion_accept

    ann = UserFactory(username="ann", display_name="Ann")
    topic = Resource.objects.first().topic
    suggested = Suggestion.objects.create(
        user=ann, topic=topic, url="https://example.org/a", title="A", why="Good.", credit=True
    )
    resource = suggestion_accept(suggestion=suggested, publish=True)
    client.force_login(ann)
    profile = {"time_zone": "UTC", "weekly_goal": ""}
    assert (
        client.post("/me/profile/", profile | {"display_name": "Ann&rlm;&lrm;"}).status_code == 302
    )
    resource.refresh_from_db()
    assert "\u200f" not in resource.description_html and "&amp;rlm;" in resource.description_html
    Resource.objects.filter(pk=resource.pk).update(description="Good.\n\n*Suggested by Tom & Jo.*")
    type(ann).objects.filter(pk=ann.pk).update(display_name="Tom & Jo")
    assert client.post("/me/profile/", profile | {"display_name": "TJ"}).status_code == 302
    resource.refresh_from_db()
    assert resource.description == "Good.\n\n*Suggested by TJ.*"


def test_the_export_says_what_became_of_reports_and_the_weekly_summary_sent(
    client, seed, mailoutbox
):
    """A curator's reason for declining a report, and the last weekly summary (kept
    whole, to be sent once), are the learner's data: their export has them."""
    from allauth.account.models import EmailAddress
    from django.core.management import call_command

    from curation.models import Report
    from curation.services import report_close, report_create

    ada = UserFactory(username="ada", display_name="Ada", weekly_email=True)
    EmailAddress.objects.create(user=ada, email=ada.email, verified=True, primary=True)
    report_create(resource=Resource.objects.first(), user=ada, problem="broken", comment="404")
    report_close(reports=Report.objects.all(), status=Report.Status.DECLINED,
                 reason="It answers from here: try again")  # fmt: skip
    call_command("send_digests", "--force")
    client.force_login(ada)
    data = client.get("/me/export.json").json()
    [report] = data["reports"]
    assert (report["status"], report["reason"]) == ("declined", "It answers from here: try again")
    assert report["closed_at"]
    [sent] = mailoutbox
    assert (data["weekly_summary"]["subject"], data["weekly_summary"]["body"]) == (
        sent.subject,
        sent.body,
    )


def test_a_deleted_learner_leaves_no_name_in_admins_log(client, admin_client, admin_user, seed):
    """A curator edited the learner in admin (admin logs it, by the learner's name); the
    learner deletes their account: the log keeps that a change was made, not who."""
    from django.contrib.admin.models import CHANGE, LogEntry

    ada = UserFactory(username="ada.lovelace@example.com", display_name="Ada Lovelace",
                      password=PASSWORD)  # fmt: skip
    LogEntry.objects.log_actions(admin_user.pk, [ada], CHANGE, change_message="Changed Active.")
    client.force_login(ada)
    assert client.post("/me/delete/", {"password": PASSWORD}).status_code == 302
    [entry] = LogEntry.objects.all()
    assert "Ada" not in f"{entry} {entry.object_repr} {entry.change_message}"
    assert "Ada Lovelace" not in admin_client.get("/admin/").content.decode()


def test_deleting_a_learner_in_admin_reads_as_much_for_two_states_as_for_forty(admin_client, db):
    """Admin names each row a learner's deletion takes with them: a state named by its
    resource's URL read that URL, a statement per row (2,000 for a learner with 2,000)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import resources_in_one_topic

    resources = resources_in_one_topic(40)
    few, many = UserFactory(), UserFactory()
    for user, theirs in ((few, resources[:2]), (many, resources)):
        Progress.objects.bulk_create(Progress(user=user, work=r.work) for r in theirs)

    def statements(user) -> int:
        with CaptureQueriesContext(connection) as queries:
            page = admin_client.get(f"/admin/accounts/user/{user.pk}/delete/")
        assert page.status_code == 200 and "Are you sure" in page.content.decode()
        return len(queries)

    assert statements(many) == statements(few)
    deleted = admin_client.post(f"/admin/accounts/user/{many.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302 and not Progress.objects.filter(user=many).exists()


def test_a_deleted_learner_leaves_no_address_in_admins_log(client, admin_client, admin_user, db):
    """A curator verified the learner's address in admin, which logs it under the address
    itself: Recent actions showed it after the learner deleted their account."""
    from allauth.account.models import EmailAddress
    from django.contrib.admin.models import CHANGE, LogEntry

    ada = UserFactory(username="ada", email="ada.lovelace@example.com", password=PASSWORD)
    address = EmailAddress.objects.create(user=ada, email=ada.email, primary=True)
    LogEntry.objects.log_actions(admin_user.pk, [address], CHANGE, change_message="Verified.")
    client.force_login(ada)
    assert client.post("/me/delete/", {"password": PASSWORD}).status_code == 302
    assert "ada.lovelace" not in admin_client.get("/admin/").content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_rename_that_fails_leaves_the_credit_as_it_was(client):
    """The learner's row held by another transaction past the statement timeout: the
    profile's save fails ("nothing was saved"), and so does what the new name rewrites,
    which had been committed first; a later blank name then no longer found the line to
    take off, and the learner stayed credited."""
    import psycopg
    from django.db import connection

    from curation.models import Suggestion
    from curation.services import suggestion_accept
    from tests.factories import resources_in_one_topic

    [listed] = resources_in_one_topic(1)
    ada = UserFactory(username="ada", display_name="Jane Realname")
    suggested = Suggestion.objects.create(
        user=ada, topic=listed.topic, url="https://example.org/a", title="A", why="Good.",
        credit=True,
    )  # fmt: skip
    resource = suggestion_accept(suggestion=suggested, publish=True)
    client.force_login(ada)
    profile = {"time_zone": "UTC", "weekly_goal": ""}
    dsn = connection.settings_dict
    holder = psycopg.connect(dbname=dsn["NAME"], host=dsn["HOST"], user=dsn["USER"],
                             port=dsn["PORT"] or None)  # fmt: skip
    try:
        holder.execute("SELECT * FROM accounts_user WHERE id = %s FOR UPDATE", [ada.pk])
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = '300ms'")
        answer = client.post("/me/profile/", profile | {"display_name": "Pseudonym"})
    finally:
        holder.close()
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 0")
    assert answer.status_code == 503 and "nothing was saved" in answer.content.decode()
    resource.refresh_from_db()
    assert resource.description == "Good.\n\n*Suggested by Jane Realname.*"
    assert client.post("/me/profile/", profile | {"display_name": ""}).status_code == 302
    resource.refresh_from_db()
    assert resource.description == "Good."


def test_a_report_sent_before_signing_up_is_the_accounts(client, seed):
    """In the export, and deleted with the account, like the visitor's ticks."""
    from curation.models import Report

    resource = Resource.objects.first()
    data = {"problem": "broken", "comment": "Written before I signed up"}
    assert client.post(f"/resources/{resource.public_id}/report", data).status_code == 302
    client.post(
        "/accounts/signup/",
        {"username": "grace", "email": "grace@example.com", "password1": PASSWORD},
    )
    grace = User.objects.get(username="grace")
    assert Report.objects.get().user == grace
    exported = json.loads(client.get("/me/export.json").content)
    assert "Written before I signed up" in json.dumps(exported)
    assert client.post("/me/delete/", {"password": PASSWORD}).status_code == 302
    assert not Report.objects.exists()


@pytest.mark.parametrize(
    ("mine", "theirs", "joined"),
    [
        (("broken", "Mine"), ("broken", "Seen before"), "Mine\n\nSeen before"),
        (("broken", "Mine"), ("broken", "Mine"), "Mine"),  # said once
        (
            ("broken", "It moved to a new page"),
            ("broken", "moved"),
            "It moved to a new page\n\nmoved",
        ),
        (("broken", ""), ("paywalled", ""), "It is paywalled now."),
        (("broken", "Mine"), ("other", "It moved"), "Mine\n\nIt moved"),
        # Whole, though longer than one form takes: the curators read every word.
        (
            ("broken", "x" * 2000),
            ("wrong", "By Bengio"),
            "x" * 2000 + "\n\nThe information is wrong. By Bengio",
        ),
    ],
)
def test_a_visitors_report_on_what_the_account_reported_joins_the_accounts_report(
    client, seed, mine, theirs, joined
):
    """One open report each: the account's stands, and takes what the visitor said, the
    problem they chose where it is another, and their comment."""
    from curation.models import Report
    from curation.services import report_create

    grace = UserFactory(username="grace", password=PASSWORD)
    resource = Resource.objects.first()
    report_create(resource=resource, user=grace, problem=mine[0], comment=mine[1])
    data = {"problem": theirs[0], "comment": theirs[1]}
    assert client.post(f"/resources/{resource.public_id}/report", data).status_code == 302
    client.post("/accounts/login/", {"login": "grace", "password": PASSWORD})
    [report] = Report.objects.all()
    assert (report.user, report.problem, report.comment) == (grace, mine[0], joined)
