"""`check_links` against real local HTTP servers: ok, redirect, 404, timeout, refused;
and never into our own network.

Loopback stands in for both sides: a server on 127.0.0.2 plays a public site (the tests
let the checker treat that one address as public), and anything on 127.0.0.1 plays the
internal network the checker must never reach."""

import contextlib
import io
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import CommandError, call_command

from roadmap import links
from roadmap.models import Resource
from tests.factories import ResourceFactory


class Handler(BaseHTTPRequestHandler):
    def answer(self, with_body: bool) -> None:
        if self.path == "/slow":
            time.sleep(2)
        if self.path == "/get-only" and self.command == "HEAD":
            self.send_response(405)
        elif self.path == "/moved":
            self.send_response(301)
            self.send_header("Location", "/ok")
        elif self.path.startswith("/to?"):  # a redirect to wherever the query says
            self.send_response(302)
            self.send_header("Location", self.path.partition("?")[2])
        elif self.path in {"/ok", "/slow", "/get-only"}:
            self.send_response(200)
        else:
            self.send_response(404)
        self.send_header("Content-Length", "2")
        self.end_headers()
        if with_body:
            self.wfile.write(b"hi")

    def do_HEAD(self) -> None:
        self.answer(with_body=False)

    def do_GET(self) -> None:
        self.answer(with_body=True)

    def log_message(self, *args) -> None:
        pass


PUBLIC = "127.0.0.2"


class Listener(Handler):
    """An internal service: it only counts who reaches it."""

    reached: list[str] = []

    def answer(self, with_body: bool) -> None:
        Listener.reached.append(self.path)
        super().answer(with_body)


def serve(address: str, handler) -> tuple[ThreadingHTTPServer, str]:
    httpd = ThreadingHTTPServer((address, 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://{address}:{httpd.server_address[1]}"


@pytest.fixture
def public(monkeypatch):
    """Let the checker take 127.0.0.2 (and only it) for a public address."""
    real = links.is_public
    monkeypatch.setattr(links, "is_public", lambda address: address == PUBLIC or real(address))


@pytest.fixture
def server(public):
    httpd, base = serve(PUBLIC, Handler)
    yield base
    httpd.shutdown()


@pytest.fixture
def internal():
    Listener.reached = []
    httpd, base = serve("127.0.0.1", Listener)
    yield base
    httpd.shutdown()
    assert Listener.reached == [], "the checker reached an internal address"


def refused_url(address: str = PUBLIC) -> str:
    with socket.socket() as sock:
        sock.bind((address, 0))
        return f"http://{address}:{sock.getsockname()[1]}/"


def test_check_links_records_each_answer(server, db):
    urls = {
        "ok": f"{server}/ok",
        "moved": f"{server}/moved",
        "missing": f"{server}/missing",
        "slow": f"{server}/slow",
        "get-only": f"{server}/get-only",
        "refused": refused_url(),
    }
    resources = {name: ResourceFactory(title=name, url=url) for name, url in urls.items()}
    draft = ResourceFactory(url=f"{server}/missing-draft", status="draft")
    out = io.StringIO()
    call_command("check_links", "--concurrency", "3", "--timeout", "0.5", stdout=out)

    found = {r.title: r for r in Resource.objects.filter(pk__in=[r.pk for r in resources.values()])}
    assert (found["ok"].link_status, found["ok"].link_broken) == (200, False)
    assert (found["moved"].link_status, found["moved"].link_broken) == (200, False)
    assert (found["get-only"].link_status, found["get-only"].link_broken) == (200, False)
    assert (found["missing"].link_status, found["missing"].link_broken) == (404, True)
    assert found["slow"].link_broken and "timed out" in found["slow"].link_error
    assert found["refused"].link_broken and "refused" in found["refused"].link_error.lower()
    assert all(r.link_checked_at for r in found.values())
    assert Resource.objects.get(pk=draft.pk).link_checked_at is None  # drafts are not checked

    summary = out.getvalue()
    assert "Checked 6 of 6 links: 3 ok, 3 broken, 0 not checked in time." in summary
    assert f"broken: missing <{urls['missing']}>: HTTP 404" in summary


def raw_server(reply: bytes) -> str:
    """A server on the public address that answers every connection with `reply`."""
    listener = socket.socket()
    listener.bind((PUBLIC, 0))
    listener.listen()

    def answer() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            with connection:
                connection.recv(4096)
                connection.sendall(reply)

    threading.Thread(target=answer, daemon=True).start()
    return f"http://{PUBLIC}:{listener.getsockname()[1]}/"


def test_a_server_that_answers_no_http_is_one_broken_link_not_a_failed_run(server, db):
    """A reply that is not HTTP, or has too many headers: that link is broken, and every
    other link is still checked."""
    not_http = raw_server(b"HELLO THERE\r\n\r\n")
    headers = b"".join(b"X-%d: y\r\n" % n for n in range(150))
    too_many = raw_server(b"HTTP/1.1 200 OK\r\n" + headers + b"\r\n")
    good = ResourceFactory(title="good", url=f"{server}/ok")
    bad = [ResourceFactory(title=f"bad {n}", url=url) for n, url in enumerate([not_http, too_many])]
    call_command("check_links", "--timeout", "2", stdout=io.StringIO())
    assert Resource.objects.get(pk=good.pk).link_status == 200
    for resource in bad:
        resource.refresh_from_db()
        assert resource.link_broken and resource.link_error


def test_a_server_that_sends_a_byte_at_a_time_is_cut_off(public):
    """Each byte within `timeout`, but never done: the check ends after its span, says it
    timed out, and leaves no thread behind."""
    listener = socket.socket()
    listener.bind((PUBLIC, 0))
    listener.listen()

    def trickle() -> None:
        connection, _ = listener.accept()
        with connection, contextlib.suppress(OSError):
            for _ in range(100):
                connection.sendall(b"H")
                time.sleep(0.2)

    threading.Thread(target=trickle, daemon=True).start()
    started = time.monotonic()
    result = links.check_url(f"http://{PUBLIC}:{listener.getsockname()[1]}/", timeout=0.5)
    assert time.monotonic() - started < 3
    assert result.broken and "timed out" in result.error
    listener.close()


def test_a_url_that_is_not_ascii_is_checked_as_it_would_be_followed(server, db):
    """A path or a host in another script: sent percent-encoded and in IDNA, as a browser
    sends it, not refused for it."""
    assert links.as_sent("http://пример.example/Künstliche Intelligenz?q=ü") == (
        "http://xn--e1afmkfd.example/K%C3%BCnstliche%20Intelligenz?q=%C3%BC"
    )
    assert links.as_sent("https://a.example/already%20encoded") == (
        "https://a.example/already%20encoded"
    )
    # A host written with capitals, a port, a user: the host alone in IDNA.
    assert links.as_sent("https://me@Пример.example:8443/") == (
        "https://me@xn--e1afmkfd.example:8443/"
    )
    path = ResourceFactory(url=f"{server}/ok/Künstliche_Intelligenz")
    call_command("check_links", "--timeout", "2", stdout=io.StringIO())
    path.refresh_from_db()
    assert path.link_status == 404  # reached (the test server knows no such page)


def test_total_time_is_bounded(server, db):
    ResourceFactory(url=f"{server}/slow")
    ResourceFactory(url=f"{server}/ok")
    out = io.StringIO()
    started = time.monotonic()
    call_command(
        "check_links", "--concurrency", "1", "--timeout", "5", "--total-timeout", "0.5", stdout=out
    )
    assert time.monotonic() - started < 4
    assert "not checked in time" in out.getvalue()
    assert "1 not checked in time" in out.getvalue() or "2 not checked in time" in out.getvalue()


@pytest.mark.parametrize("option", ["--concurrency=0", "--timeout=0", "--total-timeout=-1"])
def test_bad_options_are_refused(db, option):
    with pytest.raises(CommandError):
        call_command("check_links", option)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "::1",
        "10.0.0.1",
        "172.16.0.1",
        "192.168.1.1",
        "100.64.0.1",  # shared (carrier-grade NAT)
        "169.254.169.254",  # the cloud metadata address
        "fe80::1",
        "fd00::1",
        "224.0.0.1",
        "ff02::1",
        "240.0.0.1",
        "0.0.0.0",  # noqa: S104
        "::",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "::7f00:1",  # IPv4-compatible 127.0.0.1
        "::ffff:0:7f00:1",  # IPv4-translated
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "64:ff9b:1::a00:1",
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo of 10.0.0.1
        "192.0.2.1",  # documentation
    ],
)
def test_addresses_that_are_not_public_are_refused(address):
    assert not links.is_public(address)


@pytest.mark.parametrize(
    "address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "64:ff9b::808:808"]
)
def test_public_addresses_are_allowed(address):
    assert links.is_public(address)


def test_internal_addresses_are_never_fetched_and_all_answer_alike(db, internal):
    port = internal.rsplit(":", 1)[1]
    urls = [
        f"{internal}/ok",  # something listens
        refused_url("127.0.0.1"),  # nothing listens
        f"http://localhost:{port}/ok",  # a name for an internal address
        f"http://[::ffff:127.0.0.1]:{port}/ok",
    ]
    for url in urls:
        ResourceFactory(url=url)
    call_command("check_links", "--timeout", "2", stdout=io.StringIO())
    answers = {(r.link_status, r.link_error) for r in Resource.objects.filter(url__in=urls)}
    assert answers == {(None, links.NOT_PUBLIC)}


def test_every_redirect_hop_is_checked(db, server, internal):
    inward = ResourceFactory(url=f"{server}/to?{internal}/ok")
    by_name = ResourceFactory(url=f"{server}/to?http://localhost:{internal.rsplit(':', 1)[1]}/")
    ftp = ResourceFactory(url=f"{server}/to?ftp://{PUBLIC}/file")
    local_file = ResourceFactory(url=f"{server}/to?file:///etc/passwd")
    fine = ResourceFactory(url=f"{server}/to?{server}/ok")
    call_command("check_links", "--timeout", "2", stdout=io.StringIO())
    found = {r.pk: r for r in Resource.objects.all()}
    assert found[inward.pk].link_error == links.NOT_PUBLIC
    assert found[by_name.pk].link_error == links.NOT_PUBLIC
    assert found[ftp.pk].link_error == links.NOT_HTTP
    assert found[local_file.pk].link_error == links.NOT_HTTP
    assert (found[fine.pk].link_status, found[fine.pk].link_broken) == (200, False)


def test_the_links_checked_least_lately_go_first(db, monkeypatch):
    """A run the total timeout cuts short leaves out the links it reaches last: they were
    the tail of the alphabet each week, never checked. Now the ones never checked go
    first, then the oldest checked; a URL listed twice is checked once."""
    from datetime import timedelta

    from django.utils import timezone

    from roadmap import links

    now = timezone.now()
    ResourceFactory(url="https://a.example/recent", link_checked_at=now - timedelta(hours=1))
    ResourceFactory(url="https://b.example/never")
    ResourceFactory(url="https://c.example/old", link_checked_at=now - timedelta(days=8))
    ResourceFactory(url="https://c.example/old", link_checked_at=now - timedelta(days=8))
    ResourceFactory(url="https://d.example/never")
    asked = []

    def check_url(url: str, *, timeout: float) -> links.LinkResult:
        asked.append(url)
        return links.LinkResult(200)

    monkeypatch.setattr(links, "check_url", check_url)
    call_command("check_links", "--concurrency", "1", stdout=io.StringIO())
    assert asked == [
        "https://b.example/never",
        "https://d.example/never",
        "https://c.example/old",
        "https://a.example/recent",
    ]
