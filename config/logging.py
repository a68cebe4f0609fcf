"""Logs as one JSON object a line, for production log collectors."""

import json
import logging
from datetime import UTC, datetime


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        status = getattr(record, "status_code", None)
        if status is not None:
            entry["status"] = status
        entry |= getattr(record, "fields", {})  # a record's own (config/middleware.py)
        return json.dumps(entry, ensure_ascii=False)


def route_of(request) -> str | None:
    """The URL pattern a request matched (None: it matched none), what logs name instead
    of its path: a path may hold a share token or a password-reset key."""
    match = getattr(request, "resolver_match", None)
    return match.route if match is not None else None


class RoutesNotPaths(logging.Filter):
    """A record about a request (Django's own: "Not Found: <path>", "Forbidden (CSRF
    ...): <path>") names the route the request matched, not its path, as the access log
    does (config/middleware.py): a path may hold a share token or a password-reset key.
    A request no route matched is "-"."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        path = getattr(request, "path", None)
        if path and isinstance(record.args, tuple):
            route = route_of(request) or "-"
            record.args = tuple(route if arg == path else arg for arg in record.args)
        return True
