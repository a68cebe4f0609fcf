"""Accounts through django-allauth: sign up, log in either way, log out, reset, profile."""

import re

import pytest
from django.core import mail

from accounts.models import User
from tests.factories import UserFactory
from tests.progress_helpers import ROADMAP

PASSWORD = "correct horse battery staple"


def test_signup_asks_for_username_email_and_password_and_logs_in_at_once(client, db, settings):
    page = client.get("/accounts/signup/").content.decode()
    for label in ["Username", "Email", "Password"]:
        assert re.search(rf"<label[^>]*>\s*{label}", page), label
    response = client.post(
        "/accounts/signup/",
        {"username": "ada", "email": "ada@example.com", "password1": "a-long-Passphrase-42"},
    )
    assert response.status_code == 302
    assert User.objects.get(username="ada").email == "ada@example.com"
    assert client.get("/me/").status_code == 200  # logged in, no verification needed
    assert len(mail.outbox) == 1  # ...but a verification email was sent
    assert "ada@example.com" in mail.outbox[0].to
    # (At the site's address, SITE_URL, not the one the request named.)
    assert f"{settings.SITE_URL}/accounts/confirm-email/" in mail.outbox[0].body


def test_every_form_labels_its_fields_as_written_with_no_colon(client, seed, learner):
    """A control is named by its label: "Username", not "Username:" (Django's default
    suffix), on allauth's forms and the site's own."""
    from roadmap.models import Resource

    labels = re.compile(r"<label [^>]*>([^<]+)</label>")
    signup = client.get("/accounts/signup/").content.decode()
    assert labels.findall(signup)[-3:] == ["Username", "Email", "Password"]
    client.force_login(learner)
    note = f"/resources/{Resource.objects.first().public_id}/note"
    pages = ["/accounts/password/change/", "/me/profile/", "/me/reset/", "/me/tokens/", note]
    for path in pages:
        page = client.get(path).content.decode()
        assert labels.findall(page), path
        assert [label for label in labels.findall(page) if label.endswith(":")] == [], path
    client.logout()
    for path in ["/accounts/login/", "/accounts/password/reset/"]:
        page = client.get(path).content.decode()
        assert [label for label in labels.findall(page) if label.endswith(":")] == [], path


def test_the_password_rules_describe_the_password_field(client, db):
    """The field's aria-describedby names the element that holds the rules (a list in a
    div: in a span, as Django's <p> layout puts it, a parser moves the list out and the
    description is empty)."""
    import html5lib

    page = client.get("/accounts/signup/").content.decode()
    described = re.search(r'<input[^>]*name="password1"[^>]*aria-describedby="([^"]+)"', page)[1]
    tree = html5lib.parse(page, namespaceHTMLElements=False)
    [help_text] = [el for el in tree.iter() if el.get("id") == described]
    assert "characters" in "".join(help_text.itertext())


def test_signup_with_bad_input_shows_form_errors_and_creates_nobody(client, db):
    UserFactory(username="taken", email="taken@example.com")
    response = client.post(
        "/accounts/signup/", {"username": "taken", "email": "not-an-email", "password1": "123"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "errorlist" in html or "error" in html.lower()
    assert User.objects.count() == 1


def test_a_page_sent_back_with_errors_says_so_in_its_title(client, db):
    """A screen reader reads a page's title first: a form sent back says "Error:" there,
    as the page itself shows, and the same page unsent does not."""
    page = "/accounts/signup/"

    def title(response) -> str:
        return re.search(r"<title>(.*?)</title>", response.content.decode(), re.S).group(1)

    assert not title(client.get(page)).startswith("Error")
    sent_back = client.post(page, {"username": "", "email": "x", "password1": "1"})
    assert title(sent_back) == f"Error: {title(client.get(page))}"
    refused = client.post("/accounts/login/", {"login": "nobody", "password": "wrong"})
    assert title(refused).startswith("Error: ")


@pytest.mark.parametrize("login", ["ada", "ada@example.com"])
def test_login_accepts_username_or_email(client, db, login):
    page = client.get("/accounts/login/").content.decode()
    assert re.search(r"<label[^>]*>\s*Username or email", page)
    assert re.search(r"<label[^>]*>\s*Password", page)
    UserFactory(username="ada", email="ada@example.com", password=PASSWORD)
    response = client.post("/accounts/login/", {"login": login, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/me/").status_code == 200


def test_failed_logins_are_rate_limited(client, db):
    UserFactory(username="ada", password=PASSWORD)
    for _ in range(5):
        response = client.post("/accounts/login/", {"login": "ada", "password": "wrong"})
        assert response.status_code == 200
    response = client.post("/accounts/login/", {"login": "ada", "password": PASSWORD})
    assert client.get("/me/").status_code == 302  # even the right password is refused now
    assert "Too many failed login attempts" in response.content.decode()


def test_logout_needs_a_post(client, learner):
    client.force_login(learner)
    client.get("/accounts/logout/")
    assert client.get("/me/").status_code == 200  # a GET only asks for confirmation
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/me/").status_code == 302


def test_password_reset_sends_a_link_that_sets_a_new_password(client, db, settings):
    """The link is at the site's address (SITE_URL), never the one the request named: a
    client writes the port in its Host, and the link led to a port it chose."""
    settings.SITE_URL = "https://roadmap.example"
    UserFactory(username="ada", email="ada@example.com")
    response = client.post(
        "/accounts/password/reset/", {"email": "ada@example.com"}, HTTP_HOST="testserver:31337"
    )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "31337" not in mail.outbox[0].body + mail.outbox[0].subject
    assert "roadmap.example" in mail.outbox[0].subject
    link = re.search(
        r"https://roadmap\.example(/accounts/password/reset/key/\S+)", mail.outbox[0].body
    )
    form_url = client.get(link.group(1), follow=True).redirect_chain[-1][0]
    new = "another-long-Passphrase-7"
    client.post(form_url, {"password1": new, "password2": new})
    assert client.login(username="ada", password=new)


def test_a_reset_for_an_address_with_no_account_names_the_site_not_the_request(
    client, db, settings
):
    """The mail sent for an address with no account links to sign-up: at the site's
    address (SITE_URL), as every account mail is, never at a port the request named."""
    settings.SITE_URL = "https://roadmap.example"
    client.post(
        "/accounts/password/reset/", {"email": "nobody@example.com"}, HTTP_HOST="testserver:31337"
    )
    [sent] = mail.outbox
    assert "31337" not in sent.body + sent.subject
    assert "https://roadmap.example/accounts/signup/" in sent.body


def test_password_change_page_is_styled_like_the_site(client, learner):
    client.force_login(learner)
    html = client.get("/accounts/password/change/").content.decode()
    assert "/static/css/site.css" in html
    assert 'class="account-card"' in html


def test_display_name_is_editable_and_tidied(client, learner):
    client.force_login(learner)
    assert client.get("/me/profile/").status_code == 200
    response = client.post("/me/profile/", {"display_name": "  Ada   Lovelace ", "weekly_goal": ""})
    assert response.status_code == 302
    learner.refresh_from_db()
    assert learner.display_name == "Ada Lovelace"
    assert "Hello, Ada Lovelace." in client.get("/me/").content.decode()


def test_a_too_long_display_name_is_a_form_error(client, learner):
    client.force_login(learner)
    response = client.post("/me/profile/", {"display_name": "x" * 500, "weekly_goal": ""})
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert "<title>Error: " in response.content.decode()
    learner.refresh_from_db()
    assert learner.display_name == ""


def test_profile_requires_login(client, db):
    assert client.get("/me/profile/").status_code == 302


def test_messages_show_on_the_roadmap_after_logging_out(client, seed, learner):
    """The visitor page is cached, but not for a visitor who has a message waiting."""
    client.force_login(learner)
    response = client.post("/accounts/logout/", follow=True)
    assert response.redirect_chain[-1][0] == "/"
    assert "You have signed out." in response.content.decode()
    assert "You have signed out." not in client.get(ROADMAP).content.decode()  # shown once


@pytest.fixture
def mail_server_down(settings):
    """Mail goes through SMTP to a port nothing listens on."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed, 2
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False


def test_a_sign_up_while_the_mail_server_is_down_signs_in_and_says_the_mail_did_not_go(
    client, db, mail_server_down
):
    """Nothing waits on the confirmation mail: its failure made the sign-up a 500 that
    left the account made and the learner signed out (and "A user with that username
    already exists" when they tried again)."""
    answer = client.post(
        "/accounts/signup/",
        {"username": "ada", "email": "ada@example.com", "password1": PASSWORD},
        follow=True,
    )
    assert answer.status_code == 200 and client.get("/me/").status_code == 200
    assert "We could not send the email just now" in answer.content.decode()


def test_a_reset_while_the_mail_server_is_down_says_to_ask_again(client, db, mail_server_down):
    UserFactory(email="ada@example.com")
    answer = client.post("/accounts/password/reset/", {"email": "ada@example.com"}, follow=True)
    assert answer.status_code == 200
    assert "Please ask for it again in a few minutes" in answer.content.decode()
    # The same for an address with no account: it tells nobody which has one.
    other = client.post("/accounts/password/reset/", {"email": "no@example.com"}, follow=True)
    assert "Please ask for it again in a few minutes" in other.content.decode()


def test_a_reset_for_an_address_the_mail_server_refuses_goes_on_and_logs_no_address(
    client, db, monkeypatch
):
    """A mailbox that is no more: the reset page goes on as for any address (no 500), and
    the log says what kind of mail was refused and the server's code, not the address,
    which smtplib's error and the server's words both carry."""
    import logging
    import smtplib

    from django.core.mail import EmailMessage

    UserFactory(email="ada.private@example.com")

    def refused(*args, **kwargs):
        reply = (550, b"5.1.1 <ada.private@example.com>: Recipient address rejected")
        raise smtplib.SMTPRecipientsRefused({"ada.private@example.com": reply})

    monkeypatch.setattr(EmailMessage, "send", refused)
    logged = []
    handler = logging.Handler()
    handler.emit = lambda record: logged.append(record.getMessage())
    for name in ("accounts.adapters", "django.request"):
        logging.getLogger(name).addHandler(handler)
    try:
        answer = client.post("/accounts/password/reset/", {"email": "ada.private@example.com"})
    finally:
        for name in ("accounts.adapters", "django.request"):
            logging.getLogger(name).removeHandler(handler)
    assert answer.status_code == 302
    assert "A password_reset_key mail was refused by the mail server: [550]." in logged
    assert not any("ada.private" in line for line in logged)
