"""Turn a DATABASE_URL into Django's DATABASES entry."""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

SCHEMES = {"postgres", "postgresql", "pgsql"}


def parse_database_url(url: str) -> dict:
    """Parse `postgresql://user:password@host:port/name?option=value`.

    The host may be a percent-encoded socket directory (`%2Fvar%2Frun%2Fpostgresql`);
    query options (sslmode, connect_timeout, ...) pass through to psycopg.
    """
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES:
        raise ImproperlyConfigured(f"DATABASE_URL must be a PostgreSQL URL, not {parts.scheme!r}.")
    # urlsplit lowercases .hostname, which would break socket paths: read the netloc itself.
    hostport = parts.netloc.rpartition("@")[2]
    host, _, port = hostport.rpartition(":")
    if not port.isdigit():
        host, port = hostport, ""
    options = dict(parse_qsl(parts.query))
    host = options.pop("host", unquote(host))
    return {
        "ENGINE": "django_prometheus.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": host,
        "PORT": port,
        "OPTIONS": options,
    }
