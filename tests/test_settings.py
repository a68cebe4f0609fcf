"""Settings come from the environment; production refuses to start without its secrets."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.database import parse_database_url

REPO = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "DJANGO_SECRET_KEY": "a-long-random-production-secret-for-the-test-only-0123456789",
    "DATABASE_URL": "postgresql://app:secret@db.internal:5432/roadmap",
    "DJANGO_ALLOWED_HOSTS": "roadmap.example.org",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://roadmap.example.org",
    "EMAIL_HOST": "smtp.example.org",
}


def load_settings(
    probe: str = "print(settings.DEBUG, settings.ALLOWED_HOSTS)", **overrides: str | None
) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "EMAIL_", "SENTRY_", "METRICS_"))
    }
    env |= {k: v for k, v in (PRODUCTION_ENV | overrides).items() if v is not None}
    probe = f"from django.conf import settings; {probe}"
    return subprocess.run(
        [
            sys.executable,
            "-c",
            f"import os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; {probe}",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_starts_with_everything_set():
    result = load_settings()
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False ['roadmap.example.org']"


@pytest.mark.parametrize(
    ("overrides", "site"),
    [
        ({}, "https://roadmap.example.org"),
        ({"SITE_URL": "https://roadmap.example.org/"}, "https://roadmap.example.org"),
        ({"DJANGO_ALLOWED_HOSTS": ".example.org"}, "https://example.org"),
    ],
)
def test_the_address_mail_links_to_has_no_trailing_slash_or_leading_dot(overrides, site):
    """The weekly summary's links, its unsubscribe link among them, are SITE_URL and a
    path: "https://x/" would make them "https://x//…", which no page answers."""
    result = load_settings("print(settings.SITE_URL)", **overrides)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == site


@pytest.mark.parametrize(
    ("name", "probe"),
    [("EMAIL_USE_TLS", "EMAIL_USE_TLS"), ("DJANGO_SECURE_SSL_REDIRECT", "SECURE_SSL_REDIRECT")],
)
def test_a_switch_reads_the_usual_spellings_and_refuses_the_rest(name, probe):
    """ "true" or "yes" silently read as off would send mail in clear, or serve over HTTP."""
    for value, read in [("1", True), ("true", True), ("Yes", True), ("on", True), ("0", False),
                        ("false", False), ("OFF", False), ("", True)]:  # fmt: skip
        result = load_settings(f"print(settings.{probe})", **{name: value})
        assert (result.returncode, result.stdout.strip()) == (0, str(read)), value
    refused = load_settings(f"print(settings.{probe})", **{name: "enabled"})
    assert refused.returncode != 0 and f"{name} must be 1 or 0" in refused.stderr


def test_mail_is_sent_from_the_site_s_host_over_tls_of_either_kind():
    probe = "print(settings.DEFAULT_FROM_EMAIL, settings.EMAIL_USE_TLS, settings.EMAIL_USE_SSL)"
    assert load_settings(probe).stdout.strip() == (
        "Deep Learning Roadmap <roadmap@roadmap.example.org> True False"
    )
    ssl = load_settings(probe, EMAIL_USE_SSL="1", EMAIL_PORT="465").stdout.split()[-2:]
    assert ssl == ["False", "True"]
    both = load_settings(probe, EMAIL_USE_SSL="1", EMAIL_USE_TLS="1")
    assert both.returncode != 0 and "not both" in both.stderr


def test_production_refuses_a_negative_hsts_time():
    result = load_settings(DJANGO_SECURE_HSTS_SECONDS="-1")
    assert result.returncode != 0 and "DJANGO_SECURE_HSTS_SECONDS" in result.stderr


def test_production_refuses_any_host():
    """'*' would serve any Host header, and build the links in mail on it."""
    result = load_settings(DJANGO_ALLOWED_HOSTS="localhost,*")
    assert result.returncode != 0 and "not '*'" in result.stderr


def test_the_compose_stack_starts_as_the_readme_runs_it():
    """`DJANGO_SECRET_KEY=... docker compose up`: the app's environment as compose gives
    it, every `${NAME:-default}` at its default, loads (no mail without EMAIL_HOST)."""
    import re

    import yaml

    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    given = {"DJANGO_SECRET_KEY": PRODUCTION_ENV["DJANGO_SECRET_KEY"]}

    def resolved(value) -> str:
        return re.sub(
            r"\$\{(\w+)(?::[-?]([^}]*))?\}",
            lambda m: given.get(m[1], m[2] or ""),
            str(value),
        )

    environment = {k: resolved(v) for k, v in compose["x-app"]["environment"].items()}
    keep = {name: None for name in PRODUCTION_ENV}  # nothing but compose's own
    result = load_settings("print(settings.EMAIL_BACKEND)", **(keep | environment))
    assert result.returncode == 0, result.stderr[-500:]
    assert result.stdout.strip() == "django.core.mail.backends.dummy.EmailBackend"


def test_production_cookies_are_bound_to_this_host():
    """__Host-: only from this host, over HTTPS, for the whole site (no Domain)."""
    probe = (
        "print(settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME,"
        " settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE,"
        " settings.SESSION_COOKIE_DOMAIN, settings.CSRF_COOKIE_DOMAIN,"
        " settings.SESSION_COOKIE_PATH, settings.CSRF_COOKIE_PATH)"
    )
    result = load_settings(probe)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "__Host-sessionid",
        "__Host-csrftoken",
        "True",
        "True",
        "None",
        "None",
        "/",
        "/",
    ]


def test_production_sends_pages_to_https_but_not_health_checks_or_the_scraper():
    """A health check and the metrics scraper reach a replica directly, over plain HTTP."""
    probe = (
        "import django; django.setup();"
        " from django.middleware.security import SecurityMiddleware;"
        " from django.test import RequestFactory;"
        " check = SecurityMiddleware(lambda request: None).process_request;"
        " get = RequestFactory(HTTP_HOST='roadmap.example.org').get;"
        " print([getattr(check(get(p)), 'status_code', 0) for p in ('/healthz', '/metrics', '/')])"
    )
    result = load_settings(probe)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "[0, 0, 301]"  # (after setup's log lines)


@pytest.mark.parametrize(
    "key",
    [
        "django-insecure-development-only",
        "short-secret",
        "ab" * 40,
        "django-insecure-" + "x1y2z3" * 10,
    ],
)
def test_production_refuses_a_key_that_is_not_secret(key):
    """The development key, a short one, or one of few characters (Django's rule for a
    key, which `check --deploy` would only warn of)."""
    result = load_settings(DJANGO_SECRET_KEY=key)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not a production key" in result.stderr


@pytest.mark.parametrize(
    "missing",
    ["DJANGO_SECRET_KEY", "DATABASE_URL", "DJANGO_ALLOWED_HOSTS", "DJANGO_CSRF_TRUSTED_ORIGINS"],
)
def test_production_refuses_to_start_without(missing):
    result = load_settings(**{missing: None})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert missing in result.stderr


def test_production_refuses_to_print_mail_into_its_logs():
    result = load_settings(EMAIL_HOST=None)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "EMAIL_HOST" in result.stderr
    assert "DJANGO_EMAIL_DISABLED=1" in result.stderr


def test_production_may_say_it_sends_no_mail_at_all():
    result = load_settings(
        "print(settings.EMAIL_BACKEND)", EMAIL_HOST=None, DJANGO_EMAIL_DISABLED="1"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.core.mail.backends.dummy.EmailBackend"
    result = load_settings("print(settings.EMAIL_BACKEND, settings.EMAIL_HOST)")
    assert result.stdout.split() == [
        "django.core.mail.backends.smtp.EmailBackend",
        "smtp.example.org",
    ]


def test_an_unknown_environment_name_is_refused():
    result = load_settings(DJANGO_ENV="prod")
    assert result.returncode != 0
    assert "DJANGO_ENV" in result.stderr


def test_database_url_with_host_port_and_options():
    settings = parse_database_url(
        "postgresql://app:p%40ss@db.example.org:6543/road?sslmode=require"
    )
    assert settings["NAME"] == "road"
    assert (settings["USER"], settings["PASSWORD"]) == ("app", "p@ss")
    assert (settings["HOST"], settings["PORT"]) == ("db.example.org", "6543")
    assert settings["OPTIONS"] == {"sslmode": "require"}


def test_database_url_with_a_socket_directory_keeps_its_case():
    settings = parse_database_url("postgres://postgres@%2FWork%2FRepo%2F.devdb/roadmap")
    assert (settings["HOST"], settings["PORT"], settings["NAME"]) == (
        "/Work/Repo/.devdb",
        "",
        "roadmap",
    )


def test_database_url_must_be_postgresql():
    with pytest.raises(ImproperlyConfigured):
        parse_database_url("mysql://root@localhost/roadmap")


def test_deploy_check_in_production_mode_reports_nothing():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO,
        env=env | PRODUCTION_ENV,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_logs_are_json():
    probe = (
        "import os, logging, json; os.environ['DJANGO_SETTINGS_MODULE']='config.settings';"
        "import django; django.setup(); logging.getLogger('roadmap').warning('hello %s', 'there')"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=REPO,
        env=env | PRODUCTION_ENV,
        capture_output=True,
        text=True,
        timeout=60,
    )
    entry = json.loads(result.stdout.strip().splitlines()[-1])
    assert entry["message"] == "hello there" and entry["level"] == "WARNING"


def test_a_statement_runs_no_longer_than_the_limit_set():
    """DATABASE_STATEMENT_TIMEOUT (scripts/serve sets 25 s for the web processes): a
    statement past it is cancelled by PostgreSQL; without it, none is."""
    probe = (
        "from django.db import connection, OperationalError\n"
        "try:\n"
        "    connection.cursor().execute('SELECT pg_sleep(1.5)')\n"
        "    print('finished')\n"
        "except OperationalError as error:\n"
        "    print('cancelled' if 'statement timeout' in str(error) else error)"
    )
    real = {"DATABASE_URL": os.environ["DATABASE_URL"], "DJANGO_ENV": "development"}
    limited = load_settings(probe, **real, DATABASE_STATEMENT_TIMEOUT="1")
    assert limited.stdout.strip() == "cancelled", limited.stderr
    unlimited = load_settings(probe, **real)
    assert unlimited.stdout.strip() == "finished", unlimited.stderr
    serve = (REPO / "scripts" / "serve").read_text()
    assert 'DATABASE_STATEMENT_TIMEOUT="${DATABASE_STATEMENT_TIMEOUT:-25}"' in serve
