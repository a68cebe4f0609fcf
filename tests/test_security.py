"""Security headers on every kind of page, inert XSS everywhere, and abuse limits."""

import re
import time

import html5lib
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from roadmap.models import Part, Resource, Roadmap, Topic
from roadmap.services import progress_set, share_link_enable
from tests.factories import UserFactory
from tests.progress_helpers import ROADMAP, csp_directives

PASSWORD = "correct horse battery staple"
PAYLOAD = "<script>alert('x')</script><img src=x onerror=alert(1)>\"'><svg onload=alert(2)>"


@pytest.fixture
def pages(client, seed, curator):
    """One URL of every kind, and who should fetch it."""
    owner = UserFactory(display_name="Ada")
    progress_set(user=owner, resource=Resource.objects.first(), done=True)
    token = share_link_enable(user=owner).token
    return {
        "/": None,
        "/accounts/login/": None,
        "/accounts/signup/": None,
        "/no/such/page/": None,
        f"/p/{token}/": None,
        f"/p/{token}/badge.svg": None,
        "/me/": owner,
        "/me/sharing/": owner,
        "/me/profile/": owner,
        "/me/export.json": owner,
        "/admin/": curator,
        "/admin/roadmap/resource/": curator,
        "/healthz": None,
    }


def test_security_headers_on_every_kind_of_page(client, pages):
    for path, user in pages.items():
        client.logout()
        if user:
            client.force_login(user)
        response = client.get(path)
        assert response.status_code in {200, 404}, path
        assert b"\x00" not in response.content, path  # no unfilled slot of the page cache
        csp = response.headers.get("Content-Security-Policy", "")
        assert "frame-ancestors 'none'" in csp or csp == "default-src 'none'", path
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, path
        assert response["X-Content-Type-Options"] == "nosniff", path
        assert response["Referrer-Policy"] == "same-origin", path
        assert "camera=()" in response["Permissions-Policy"], path
        assert response["Cross-Origin-Opener-Policy"] == "same-origin", path
        assert response["X-Frame-Options"] == "DENY", path


def test_a_request_for_a_host_not_ours_is_a_plain_400(client, db):
    """A Host header the site does not serve (any scanner sends one) is refused before
    the middleware that says who is signed in has run: a 400 page with the site's headers,
    never a 500 because the layout asked who is looking."""
    from django.test import Client

    client = Client(raise_request_exception=False)
    for path in ["/", "/me/", "/healthz", "/roadmaps/deep-learning/"]:
        response = client.get(path, HTTP_HOST="evil.example")
        assert response.status_code == 400, path
        assert b"Bad request" in response.content, path
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"], path
        assert response["X-Content-Type-Options"] == "nosniff", path


def test_page_csp_allows_only_our_own_scripts_and_styles(client, seed):
    directives = csp_directives(client.get(ROADMAP))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"


def test_templates_carry_no_inline_script_or_style(client, seed, learner):
    client.force_login(learner)
    html = client.get(ROADMAP).content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert " style=" not in html and "<style" not in html
    assert " hx-on" not in html
    assert '"allowEval": false' in html


def assert_inert(document: bytes, where: str) -> None:
    """Parsed as a browser would: no script of ours but served files, no event handler."""
    tree = html5lib.parse(document, namespaceHTMLElements=False)
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        tag = element.tag.rsplit("}", 1)[-1]
        assert not (tag == "script" and not element.get("src")), where
        assert tag not in {"img", "iframe", "object", "embed"} or element.get("src") != "x", where
        handlers = [name for name in element.attrib if name.lower().startswith("on")]
        assert not handlers, f"{where}: <{tag} {handlers}>"
        for name in ("href", "src", "action"):
            assert not element.get(name, "").strip().lower().startswith("javascript:"), where


def test_xss_payloads_in_every_editable_field_are_inert(client, seed, curator):
    Roadmap.objects.update(title=f"Roadmap {PAYLOAD}", introduction=PAYLOAD, summary=PAYLOAD)
    Part.objects.update(title=f"Part {PAYLOAD}", summary=PAYLOAD)
    Topic.objects.update(title=f"Topic {PAYLOAD}", summary=PAYLOAD)
    Resource.objects.update(title=f"Resource {PAYLOAD}", description=PAYLOAD)
    owner = UserFactory(display_name=f"Ada {PAYLOAD}"[:60])
    progress_set(user=owner, resource=Resource.objects.first(), done=True)
    token = share_link_enable(user=owner).token
    targets = [
        (None, "/"),
        (owner, "/"),
        (None, "/roadmaps/deep-learning/"),
        (owner, "/roadmaps/deep-learning/"),
        (owner, "/me/"),
        (owner, "/me/sharing/"),
        (owner, "/me/reset/"),
        (owner, "/me/profile/"),
        (None, f"/p/{token}/"),
        (None, f"/p/{token}/badge.svg"),
        (curator, "/admin/roadmap/resource/"),
        (curator, "/admin/roadmap/resource/1/change/"),
        (curator, "/admin/roadmap/part/"),
        (curator, "/admin/roadmap/topic/1/change/"),
        (curator, "/admin/roadmap/roadmap/1/change/"),
    ]
    for user, path in targets:
        client.logout()
        if user:
            client.force_login(user)
        response = client.get(path)
        assert response.status_code == 200, path
        assert_inert(response.content, path)


def test_htmx_fragment_escapes_titles_too(client, seed, learner):
    Resource.objects.update(title=f"Resource {PAYLOAD}")
    client.force_login(learner)
    resource = Resource.objects.first()
    body = client.post(
        f"/resources/{resource.public_id}/progress", {"done": "1"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "<script>alert" not in body and "&lt;script&gt;" in body


def test_signup_is_rate_limited(client, db):
    statuses = []
    for n in range(22):
        response = client.post(
            "/accounts/signup/",
            {
                "username": f"bot{n}",
                "email": f"bot{n}@example.com",
                "password1": "a-long-Passphrase-42",
            },
        )
        statuses.append(response.status_code)
        client.logout()
    assert statuses[:20] == [302] * 20
    assert statuses[-1] == 429
    assert "Too many attempts" in response.content.decode()


def test_password_reset_is_rate_limited(client, db):
    from django.core import mail

    UserFactory(email="ada@example.com")
    statuses = [
        client.post("/accounts/password/reset/", {"email": "ada@example.com"}).status_code
        for _ in range(7)
    ]
    assert statuses[:5] == [302] * 5
    assert 429 in statuses[5:]
    assert len(mail.outbox) == 5


def test_staff_log_in_through_the_rate_limited_login(client, curator, monkeypatch):
    # Admin's own form is not there to guess at: it sends everyone to allauth's login.
    response = client.post("/admin/login/", {"username": curator.username, "password": "wrong"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    login = "/accounts/login/?next=/admin/"

    def log_in(password: str):
        return client.post(login, {"login": curator.username, "password": password})

    for _ in range(5):
        response = log_in("wrong")
        assert response.status_code == 200 and "Too many" not in response.content.decode()
    assert "Too many failed login attempts" in log_in("wrong").content.decode()  # the 6th
    assert "Too many failed login attempts" in log_in(PASSWORD).content.decode()
    assert client.get("/admin/").status_code == 302  # not let in

    later = time.time() + 5 * 60 + 1  # the window has passed
    monkeypatch.setattr(time, "time", lambda: later)
    response = log_in(PASSWORD)
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert client.get("/admin/").status_code == 200


def test_share_tokens_cannot_be_told_apart(client, seed):
    owner = UserFactory()
    token = share_link_enable(user=owner).token
    near_misses = [token[:-1], token.upper(), token + "x", "A" * len(token), "", "../admin"]
    bodies = set()
    for miss in near_misses:
        response = client.get(f"/p/{miss}/")
        if response.status_code == 404:
            bodies.add(response.content)
        else:
            assert response.status_code in {301, 404}
    assert len(bodies) == 1


def test_admin_import_of_a_hostile_file_is_inert(client, seed, curator):
    client.force_login(curator)
    text = f"# {PAYLOAD}\n## Part one: {PAYLOAD}\n### {PAYLOAD}\n* [{PAYLOAD}](https://x.example/)\n  {PAYLOAD}\n"
    upload = SimpleUploadedFile("evil.md", text.encode())
    body = client.post("/admin/roadmap/roadmap/import/", {"file": upload}).content.decode()
    assert "<script>alert" not in body


def test_a_form_sent_from_a_page_opened_before_a_log_in_gets_the_sites_own_403(db, three):
    """Two tabs: a learner logs in in one and sends a form from the other, whose token is
    the old one. The answer says what happened and what to do, in the site's style:
    not Django's page, whose inline style the site's policy refuses and which speaks of
    DEBUG."""
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.get("/accounts/login/")  # the cookie; the form carries a token of before
    answer = browser.post(
        f"/resources/{three[0].public_id}/report",
        {"problem": "broken", "csrfmiddlewaretoken": "x" * 32},
    )
    assert answer.status_code == 403
    page = answer.content.decode()
    assert "Your form was not sent" in page and "Nothing was changed" in page
    assert "<style>" not in page and "DEBUG" not in page


def test_a_learner_who_opens_admin_is_told_it_is_not_for_their_account(client, learner):
    client.force_login(learner)
    answer = client.get("/admin/login/?next=/admin/")
    assert answer.status_code == 403
    page = answer.content.decode()
    assert 'class="site-header"' in page and "admin is for curators" in page
