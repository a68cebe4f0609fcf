"""Error reports to Sentry (only with SENTRY_DSN), with no personal data: sentry-sdk's
`send_default_pii` off (no cookies, addresses, user ids or bodies), and the tokens and
keys that work as passwords in URLs (a share link's, a password reset's, an email
confirmation's, an unsubscribe link's) taken out of every URL and text an event
carries. Events carry no local variables (a view's arguments hold those tokens, a
form's a note), and a request for a host the site does not serve, which scanners send
by the thousand, is a log line and a 400, not an event."""

import re

SECRET_IN_PATH = re.compile(
    r"(/p/|/accounts/password/reset/key/|/accounts/confirm-email/|/activity/unsubscribe/)"
    r"[^/?#\s\"']+"
)


def without_secrets(value):
    if isinstance(value, str):
        return SECRET_IN_PATH.sub(r"\1[token]", value)
    if isinstance(value, dict):
        return {key: without_secrets(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(without_secrets(item) for item in value)
    return value


def before_send(event: dict, hint: dict) -> dict:
    return without_secrets(event)


def start(dsn: str, *, environment: str) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.logging import ignore_logger

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        send_default_pii=False,
        # (No request bodies either: `send_default_pii` leaves them in, and a form's
        # fields, a sign-up's password among them, would go with an error.)
        max_request_body_size="never",
        include_local_variables=False,
        traces_sample_rate=0.0,
        before_send=before_send,
        before_send_transaction=before_send,
        before_breadcrumb=lambda crumb, hint: without_secrets(crumb),
    )
    ignore_logger("django.security.DisallowedHost")
