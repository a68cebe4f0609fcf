"""/metrics for the operator's scraper: requests by view, database queries and the
roadmap's own gauges, from allowed addresses only; Sentry only when configured."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from roadmap.content import content_version
from roadmap.models import Progress, Resource
from roadmap.services import progress_set
from tests.factories import StaffFactory, UserFactory
from tests.progress_helpers import ROADMAP
from tests.test_settings import load_settings


def value(text: str, name: str) -> float:
    match = re.search(rf"^{name} (\S+)$", text, re.MULTILINE)
    assert match, f"no {name} in the metrics"
    return float(match.group(1))


def test_metrics_count_requests_by_view_queries_and_the_roadmap(client, seed):
    ada, bob = UserFactory(), UserFactory()
    StaffFactory()
    UserFactory(is_active=False)
    first, second, third = Resource.objects.order_by("pk")[:3]
    for resource in (first, second):
        progress_set(user=ada, resource=resource, done=True)
    progress_set(user=bob, resource=third, done=True)
    Progress.objects.filter(work__resources=third).update(
        completed_at=timezone.now() - timedelta(days=2)
    )
    client.get(ROADMAP)
    client.get("/healthz")

    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert value(text, "roadmap_learners") == 2
    assert value(text, "roadmap_ticks_today") == 2
    assert value(text, "roadmap_content_version") == content_version()
    assert re.search(
        r'^django_http_requests_total_by_view_transport_method_total\{.*view="roadmap".*\} [1-9]',
        text,
        re.M,
    )
    assert re.search(
        r'^django_http_requests_latency_seconds_by_view_method_count\{.*view="healthz".*\} [1-9]',
        text,
        re.M,
    )
    assert re.search(
        r'^django_db_execute_total\{alias="default",vendor="postgresql"\} [1-9]', text, re.M
    )


@pytest.mark.parametrize("address", ["203.0.113.9", "10.0.0.5", "192.168.1.20", "::ffff:8.8.8.8"])
def test_metrics_are_404_for_everyone_else(client, db, address):
    assert client.get("/metrics", REMOTE_ADDR=address).status_code == 404
    # A header a client writes does not make it the scraper.
    forged = client.get("/metrics", REMOTE_ADDR=address, HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert forged.status_code == 404


def test_the_allowed_addresses_come_from_the_setting(client, db, settings):
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8", "2001:db8::1"]
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="::ffff:10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="2001:db8::1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404


def test_a_malformed_allowed_address_is_refused_at_start():
    result = load_settings(METRICS_ALLOWED_IPS="127.0.0.1,not-an-address")
    assert result.returncode != 0 and "METRICS_ALLOWED_IPS" in result.stderr


SENTRY_PROBE = (
    "settings.DEBUG; import sentry_sdk; client = sentry_sdk.get_client();"
    " print(client.is_active(), client.options['send_default_pii'], client.options['environment'])"
)


def test_sentry_is_off_without_a_dsn():
    result = load_settings(SENTRY_PROBE)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "False"


def test_sentry_reports_with_a_dsn_and_sends_no_personal_data():
    result = load_settings(SENTRY_PROBE, SENTRY_DSN="https://public@sentry.example.org/1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "False", "production"]


def test_sentry_events_carry_no_share_token():
    from config.sentry import before_send

    token = "A" * 32
    event = {
        "request": {
            "url": f"https://roadmap.example.org/p/{token}/",
            "headers": {"Referer": f"/p/{token}/badge.svg"},
        },
        "breadcrumbs": {"values": [{"message": f"GET /p/{token}/"}]},
        "exception": {"values": [{"value": "ok"}]},
    }
    assert token not in repr(before_send(event, {}))
    assert before_send(event, {})["request"]["url"] == "https://roadmap.example.org/p/[token]/"
    # A password reset's, an email confirmation's and an unsubscribe link's keys, too.
    for path in (
        "/accounts/password/reset/key/2-cm6f0z-5b1e8f4f0c0d/",
        "/accounts/confirm-email/MQ:1xaSpk:CQes/",
        "/activity/unsubscribe/Nw:1xaSSB:74DORnyf/",
    ):
        scrubbed = before_send({"request": {"url": f"https://roadmap.example.org{path}"}}, {})
        assert scrubbed["request"]["url"].endswith("/[token]/"), scrubbed


# What Sentry would send, caught before it leaves: an error raised where a secret is a
# local variable (a share page's view has the token as an argument), and two logged errors.
SENTRY_SENDS = """
settings.DEBUG  # (loaded, so Sentry is started)
import logging, sentry_sdk
sent = []
transport = sentry_sdk.get_client().transport
transport.capture_envelope = lambda envelope: sent.append(envelope.serialize())
def share_page(request, token): raise ValueError("went wrong")
try:
    share_page(None, token="SECRET" * 6)
except ValueError:
    sentry_sdk.capture_exception()
logging.getLogger("django.security.DisallowedHost").error("Invalid HTTP_HOST header")
logging.getLogger("roadmap").error("a real problem")
print(len(sent), sum(b"SECRETSECRET" in envelope for envelope in sent),
      sum(b"HTTP_HOST" in envelope for envelope in sent))
"""


def test_sentry_sends_no_secret_held_in_a_variable_nor_every_scanners_host():
    """An error's event carries no local variables, where a share token, a reset key or a
    note would be; a request for a host the site does not serve, which scanners send by
    the thousand, is a log line and a 400, not an event."""
    result = load_settings(SENTRY_SENDS, SENTRY_DSN="https://public@sentry.example.org/1")
    assert result.returncode == 0, result.stderr
    events, with_secret, with_host = map(int, result.stdout.split())
    assert events == 2  # the error, and the real problem logged
    assert with_secret == 0
    assert with_host == 0


# A sign-up while the database is down (a real cause of a 500), caught before it leaves.
SENTRY_SIGN_UP = """
import django; django.setup()
import sentry_sdk
from django.http import HttpResponseServerError
import config.urls
config.urls.handler500 = lambda request: HttpResponseServerError()  # (no static manifest)
sent = []
sentry_sdk.get_client().transport.capture_envelope = lambda e: sent.append(e.serialize())
from django.test import Client
client = Client(raise_request_exception=False, HTTP_HOST="roadmap.example.org")
answer = client.post("/accounts/signup/", {"username": "alice", "email": "alice@example.com",
                     "password1": "Hunter2-correct-horse"}, secure=True)
blob = b"".join(sent)
print(answer.status_code, len(sent), b"Hunter2-correct" in blob, b"alice@example.com" in blob)
"""


def test_sentry_gets_no_form_a_request_sent():
    """An error while a form is posted sends no field of it: a sign-up's password and
    email address stay out of the event (sentry-sdk keeps bodies without personal data
    otherwise)."""
    result = load_settings(
        SENTRY_SIGN_UP,
        SENTRY_DSN="https://public@sentry.example.org/1",
        DATABASE_URL="postgresql://app:secret@127.0.0.1:1/roadmap",
        DATABASE_POOL_TIMEOUT="1",
        DATABASE_POOL_MIN_SIZE="0",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split()[-4:] == ["500", "1", "False", "False"]


def test_metrics_are_served_when_the_gauges_cannot_be_read(client, seed):
    """The shared cache's table missing (or locked, or the database failing): the request
    figures are what the operator needs most then, and a gauge read took all of /metrics
    down with it (a 500, or 25 s and a 500 on a lock)."""
    from django.conf import settings
    from django.test import override_settings

    default = {**settings.CACHES["default"], "LOCATION": "no_such_cache_table"}
    client.get("/healthz")
    with override_settings(CACHES={**settings.CACHES, "default": default}):
        text = client.get("/metrics").content.decode()
    assert value(text, "roadmap_gauges_ok") == 0
    assert "roadmap_learners" not in text
    assert re.search(r"^django_http_requests_latency_seconds_by_view_method_count\{", text, re.M)


def test_metrics_say_when_jobs_wait_for_a_worker(client, seed):
    """A job worker not running logs nothing, and a page that defers a job answers at once
    (a curator is told the figures are asked for): the queue is a gauge to alert on."""
    from django.core.cache import cache

    from curation.tasks import refresh_insights

    text = client.get("/metrics").content.decode()
    assert (value(text, "roadmap_jobs_due"), value(text, "roadmap_job_workers")) == (0, 0)
    refresh_insights.defer(timestamp=0)
    cache.delete("metrics:roadmap-counts")  # (the gauges are at most a minute old)
    text = client.get("/metrics").content.decode()
    assert (value(text, "roadmap_jobs_due"), value(text, "roadmap_job_workers")) == (1, 0)
