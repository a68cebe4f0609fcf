"""`check_links` against a real local HTTP server: ok, redirect, 404, timeout, refused."""

import io
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import CommandError, call_command

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


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def refused_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/"


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
