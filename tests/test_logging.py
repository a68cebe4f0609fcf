"""Logs as an operator reads them: one JSON object a line, and a line a request that names
the route it took, never a path that holds a secret (a share token, a password-reset or
email-confirmation key)."""

import json
import logging

import pytest

from config.logging import JsonFormatter
from roadmap.services import share_link_enable


@pytest.fixture
def access_lines():
    """What the access log writes meanwhile, as the production handler formats it."""
    lines = []
    handler = logging.Handler()
    handler.setFormatter(JsonFormatter())
    handler.emit = lambda record: lines.append(handler.format(record))
    logger = logging.getLogger("config.access")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)  # (development and tests leave it to runserver)
    yield lines
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_a_request_is_logged_by_its_route_never_by_a_path_holding_a_secret(
    client, learner, access_lines
):
    token = share_link_enable(user=learner).token
    secrets = [token, "2-cm6f0z-5b1e8f4f0c0d2a9e7b3c4d5e6f708192", "MQ:1xaSpk:CQes"]
    paths = [
        f"/p/{token}/",
        f"/accounts/password/reset/key/{secrets[1]}/",
        f"/accounts/confirm-email/{secrets[2]}/",
        "/nothing/here/",
    ]
    statuses = [client.get(path).status_code for path in paths]
    entries = [json.loads(line) for line in access_lines]
    assert [(e["method"], e["route"], e["status"]) for e in entries] == list(
        zip(
            ["GET"] * 4,
            [
                "p/<share_token:token>/",
                "accounts/password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$",
                "accounts/confirm-email/(?P<key>[-:\\w]+)/$",
                None,
            ],
            statuses,
            strict=True,
        )
    )
    assert entries[0]["view"] == "share" and entries[0]["duration_us"] > 0
    assert not any(secret in line for secret in secrets for line in access_lines)


def test_a_path_made_to_forge_log_lines_leaves_one_json_object_a_line(client, db, access_lines):
    client.get('/y\n{"time": "forged line"}')
    client.get('/x\\", "status": 200, "route": "admin/"')
    assert len(access_lines) == 2
    for line in access_lines:
        assert "\n" not in line and json.loads(line)["status"] == 404


def test_the_proxys_access_log_writes_no_path_either():
    """deploy/nginx.conf logs a line a request in a format of its own, with no variable
    that holds the path or the query (nginx's default format writes the request line)."""
    import re
    from pathlib import Path

    site = (Path(__file__).resolve().parent.parent / "deploy" / "nginx.conf").read_text()
    formats = dict(re.findall(r"log_format (\w+) escape=json ((?:'[^']*'\s*)+);", site))
    assert re.findall(r"access_log \S+ (\w+);", site) == ["roadmap"]
    assert "$status" in formats["roadmap"]
    for variable in ("$request", "$uri", "$request_uri", "$args", "$query_string"):
        assert variable not in formats["roadmap"].replace("$request_method", "").replace(
            "$request_time", ""
        )


def test_djangos_own_warnings_name_the_route_not_the_path(client, learner):
    """ "Not Found: <path>" for a live share link's badge of a roadmap that is not there:
    the console's filter (config.logging.RoutesNotPaths) writes the route instead."""
    from django.conf import settings

    from config.logging import RoutesNotPaths

    assert "routes_not_paths" in settings.LOGGING["handlers"]["console"]["filters"]
    token = share_link_enable(user=learner).token
    lines = []
    handler = logging.Handler()
    handler.addFilter(RoutesNotPaths())
    handler.setFormatter(JsonFormatter())
    handler.emit = lambda record: lines.append(handler.format(record))
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        assert client.get(f"/p/{token}/no-such-roadmap/badge.svg").status_code == 404
        assert client.get(f"/nothing/{token}/").status_code == 404
    finally:
        logger.removeHandler(handler)
    messages = [json.loads(line)["message"] for line in lines]
    assert messages == ["Not Found: p/<share_token:token>/<slug:slug>/badge.svg", "Not Found: -"]
