"""Settings for Deep Learning Roadmap, read from environment variables.

Development defaults are safe on a laptop; with DJANGO_ENV=production the app refuses
to start unless its secret, database and hosts are given.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

from csp.constants import NONE, SELF
from django.core.checks.security import base as secret_key_rule
from django.core.exceptions import ImproperlyConfigured

from config.database import parse_database_url

BASE_DIR = Path(__file__).resolve().parent.parent

ENVIRONMENT = os.environ.get("DJANGO_ENV", "development")
if ENVIRONMENT not in {"development", "production"}:
    raise ImproperlyConfigured("DJANGO_ENV must be 'development' or 'production'.")
PRODUCTION = ENVIRONMENT == "production"


def env(name: str, *, dev_default: str | None = None) -> str:
    """A required setting; outside production `dev_default` stands in when it is unset."""
    value = os.environ.get(name, "").strip()
    if value:
        return value
    if dev_default is not None and not PRODUCTION:
        return dev_default
    raise ImproperlyConfigured(f"Set the {name} environment variable.")


def env_list(name: str, *, dev_default: str | None = None) -> list[str]:
    return [item.strip() for item in env(name, dev_default=dev_default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} must be a whole number.") from error


def env_bool(name: str, default: bool) -> bool:
    """A switch: 1, true, yes or on; 0, false, no or off (any case). Anything else is
    refused: "True" silently read as off would turn TLS or the HTTPS redirect off."""
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 1 or 0 (or true/false, yes/no, on/off).")


SECRET_KEY = env("DJANGO_SECRET_KEY", dev_default="django-insecure-development-only")
if PRODUCTION and (
    SECRET_KEY.startswith(secret_key_rule.SECRET_KEY_INSECURE_PREFIX)
    or len(SECRET_KEY) < secret_key_rule.SECRET_KEY_MIN_LENGTH
    or len(set(SECRET_KEY)) < secret_key_rule.SECRET_KEY_MIN_UNIQUE_CHARACTERS
):
    # (Django's own rule, which `check --deploy` would only warn of: nothing runs it.)
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is not a production key: give a long random one, as "
        "`python -c 'import secrets; print(secrets.token_urlsafe(50))'` prints."
    )
DEBUG = not PRODUCTION and env_bool("DJANGO_DEBUG", True)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", dev_default="localhost,127.0.0.1,[::1],testserver")
if PRODUCTION and "*" in ALLOWED_HOSTS:
    # Any Host header would be served, and links in mail (a password reset's) built on it.
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must name the site's hosts, not '*'.")
# The site's own host, where mail links to and is sent from: the first allowed (one
# allowed with its subdomains, ".example.org", is the site at "example.org").
SITE_HOST = ALLOWED_HOSTS[0].lstrip(".")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "csp",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.github",
    "allauth.socialaccount.providers.google",
    "django_htmx",
    "django_prometheus",
    "template_partials",  # wraps the template loaders and adds {% partialdef %}
    "procrastinate.contrib.django",  # the job runner, on PostgreSQL (README: Jobs)
    "accounts",
    "django.contrib.postgres",
    "roadmap",
    "activity",
    "search",
    "curation",
    "ninja",  # the API's docs page and its static files (no CDN)
    "api",
]

MIDDLEWARE = [
    # First and last: django-prometheus times each request and counts it by view.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "config.middleware.access_log",
    # An htmx request that failed is told so in the page's alert region.
    "config.middleware.htmx_failures",
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.permissions_policy",
    "config.middleware.allauth_pages_private",
    "csp.middleware.CSPMiddleware",
    "config.middleware.NulRefused",
    # A statement the database gave up on (a lock held too long): a 503, try again.
    "config.middleware.DatabaseBusy",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "roadmap.context_processors.viewer",
                "roadmap.context_processors.learner_progress",
            ],
            "builtins": [
                "template_partials.templatetags.partials",
                "roadmap.templatetags.markdown",
                "roadmap.templatetags.render_once",
            ],
        },
    }
]

# Labels as written, with no colon after them (config/forms.py).
FORM_RENDERER = "config.forms.Renderer"

# Database: DATABASE_URL, through Django's psycopg 3 connection pool, which checks each
# connection before lending it (CONN_HEALTH_CHECKS), so a restarted server costs no failed
# request. The backend is Django's as django-prometheus instruments it (query counts).
if not os.environ.get("DATABASE_URL"):
    raise ImproperlyConfigured(
        "Set DATABASE_URL, or run through `make run` / `scripts/devdb.py run -- ...`, "
        "which start a private PostgreSQL and set it for you."
    )
_database = parse_database_url(os.environ["DATABASE_URL"])
_database["OPTIONS"]["pool"] = {
    "min_size": env_int("DATABASE_POOL_MIN_SIZE", 1),
    "max_size": env_int("DATABASE_POOL_MAX_SIZE", 10),
    "timeout": env_int("DATABASE_POOL_TIMEOUT", 10),
}
# Server-side binding lets psycopg prepare the statements a connection runs again and
# again (from the 5th run), so PostgreSQL plans the hot queries once per connection, not
# on every request: planning took most of the learner-state query's time. (Behind a
# transaction-pooling PgBouncer, set DATABASE_PREPARE_THRESHOLD=0 to turn this off.)
_database["OPTIONS"]["server_side_binding"] = True
_database["OPTIONS"]["prepare_threshold"] = env_int("DATABASE_PREPARE_THRESHOLD", 5) or None
_database["CONN_HEALTH_CHECKS"] = True
_database["OPTIONS"].setdefault("connect_timeout", str(env_int("DATABASE_CONNECT_TIMEOUT", 5)))
# How long one statement may run, in seconds (0: as long as it takes). scripts/serve sets
# 25 for the web processes: gunicorn's threaded workers never stop a request (their
# --timeout watches the worker, not a request), so a statement that ran on would hold a
# thread and a pooled connection long after nginx gave up on it. Commands and jobs
# (migrations, imports, the weekly summaries) take what they need.
_statement_seconds = env_int("DATABASE_STATEMENT_TIMEOUT", 0)
if _statement_seconds > 0:
    _database["OPTIONS"]["options"] = " ".join(
        filter(
            None,
            [_database["OPTIONS"].get("options"), f"-c statement_timeout={_statement_seconds}s"],
        )
    )
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# Django's and allauth's backends (accounts/backends.py says why under these names).
AUTHENTICATION_BACKENDS = [
    "accounts.backends.ModelBackend",
    "accounts.backends.AuthenticationBackend",
]
SESSION_ENGINE = "accounts.sessions"
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"

# Accounts (django-allauth): sign up with username, email and one password; log in with
# either. Verification mails go out, but nothing waits on them unless made mandatory.
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email*", "password1*"]
ACCOUNT_EMAIL_VERIFICATION = os.environ.get("ACCOUNT_EMAIL_VERIFICATION", "optional")
if ACCOUNT_EMAIL_VERIFICATION not in {"none", "optional", "mandatory"}:
    raise ImproperlyConfigured("ACCOUNT_EMAIL_VERIFICATION must be none, optional or mandatory.")
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_REDIRECT_URL = "/"
ACCOUNT_SESSION_REMEMBER = True
ACCOUNT_USER_DISPLAY = str
ACCOUNT_FORMS = {"login": "accounts.forms.LoginForm", "signup": "accounts.forms.SignupForm"}
# Sign-in with GitHub and Google (allauth's providers), each on when its client id and
# secret are set: no database setup. An account is tied to the provider's stable user id;
# a provider's verified email that matches an account's verified email signs into it
# (connecting the provider), an unverified one never does (allauth's rules).
SOCIALACCOUNT_PROVIDERS = {
    provider: {
        "APPS": [
            {
                "client_id": os.environ[f"{prefix}_CLIENT_ID"],
                "secret": os.environ[f"{prefix}_CLIENT_SECRET"],
            }
        ],
        **extra,
    }
    for provider, prefix, extra in [
        ("github", "GITHUB", {"SCOPE": ["user:email"]}),
        ("google", "GOOGLE", {"SCOPE": ["profile", "email"]}),
    ]
    if os.environ.get(f"{prefix}_CLIENT_ID") and os.environ.get(f"{prefix}_CLIENT_SECRET")
}
# Where each provider's sign-in page is: its button's form, posted to us, is answered by
# a redirect there, which browsers check against the policy's form-action (below).
PROVIDER_ORIGINS = {"github": "https://github.com", "google": "https://accounts.google.com"}
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
SOCIALACCOUNT_FORMS = {"disconnect": "accounts.forms.DisconnectForm"}
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_STORE_TOKENS = False  # nothing here calls the providers on a learner's behalf
SOCIALACCOUNT_QUERY_EMAIL = True  # GitHub: the addresses and whether each is verified
# allauth's per-address rate limits (failed logins, sign-ups, password resets) key on the
# client's address. Behind N proxies of ours (nginx: 1), it is the N-th address from the
# right of X-Forwarded-For, which those proxies wrote; anything a client put further
# left is ignored, so a forged header cannot buy a fresh allowance. 0: REMOTE_ADDR.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("ALLAUTH_TRUSTED_PROXY_COUNT", 0)
# The API's limit on wrong tokens (api/auth.py) finds the client's address the same way.
NINJA_NUM_PROXIES = ALLAUTH_TRUSTED_PROXY_COUNT
# The API's limits (Django Ninja's throttles): requests per valid token, and requests
# with a token that opens nothing per client address.
API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "300/m")
API_WRONG_TOKEN_RATE_LIMIT = os.environ.get("API_WRONG_TOKEN_RATE_LIMIT", "30/m")
# How long admin's import may read an upload (roadmap/roadmap_markdown.py): gunicorn's
# threaded workers stop no request (WEB_TIMEOUT watches the worker), and reading is no
# statement for DATABASE_STATEMENT_TIMEOUT to cut short.
ADMIN_IMPORT_READ_SECONDS = env_int("ADMIN_IMPORT_READ_SECONDS", 10)
# The site's own limits, through the same machinery (allauth.core.ratelimit), per client
# address: a visitor's writes, and the visitors' sessions those make (what grows the
# session table); deleting an account shares allauth's "change_password" allowance
# (accounts/views.py).
ACCOUNT_RATE_LIMITS = {
    "visitor_write": os.environ.get("VISITOR_WRITE_RATE_LIMIT", "60/m/ip"),
    "visitor_session": os.environ.get("VISITOR_SESSION_RATE_LIMIT", "100/h/ip"),
    # A visitor's reports of a problem, by address (curation/views.py).
    "report": os.environ.get("REPORT_RATE_LIMIT", "10/h/ip"),
}

# Email: by SMTP when a host is configured. Otherwise printed to the console in
# development; production refuses to start, since printed mail would put password-reset
# links in the logs, unless DJANGO_EMAIL_DISABLED=1 says to send no mail at all.
if os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    # STARTTLS (port 587), or TLS from the first byte (port 465): one or the other.
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", not EMAIL_USE_SSL)
    if EMAIL_USE_SSL and EMAIL_USE_TLS:
        raise ImproperlyConfigured("Set EMAIL_USE_SSL or EMAIL_USE_TLS, not both.")
    # Seconds to wait for the server: a run of weekly summaries must not hang on one that
    # stopped answering (activity/digests.py).
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
elif env_bool("DJANGO_EMAIL_DISABLED", False):
    EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
elif PRODUCTION:
    raise ImproperlyConfigured(
        "Set EMAIL_HOST (and EMAIL_HOST_USER, EMAIL_HOST_PASSWORD) so that account mail "
        "is sent, or DJANGO_EMAIL_DISABLED=1 to send none: production never prints mail, "
        "which would put password-reset links in the logs."
    )
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# Where links in mail sent by a job (no request to build them from) point: the site's
# address as its learners reach it.
SITE_URL = (
    os.environ.get("SITE_URL")
    or (f"https://{SITE_HOST}" if PRODUCTION else "http://127.0.0.1:8000")
).rstrip("/")

# Jobs (procrastinate, on the database): each app's tasks.py, procrastinate's default. How
# often the dead-link check runs, as a cron line (weekly: Mondays at 03:00 UTC).
LINK_CHECK_CRON = os.environ.get("LINK_CHECK_CRON", "0 3 * * 1")
# How often the figures of the insights pages are computed afresh (curation/insights.py):
# every 30 minutes, so they are at most that old (and the time the computation takes).
INSIGHTS_REFRESH_CRON = os.environ.get("INSIGHTS_REFRESH_CRON", "*/30 * * * *")
# A worker that starts after an outage defers each periodic job's last run due in the
# week before (procrastinate's default: in the 10 minutes before; the weekly link check
# missed by more was skipped to the next week). Each is deferred once, ever.
PROCRASTINATE_PERIODIC_DEFAULTS = {"max_delay": 7 * 24 * 60 * 60}

# The sender of account mail: in production at the site's own host (a mail server, and
# the receiving ones, refuse or bin mail from "localhost").
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL") or (
    f"Deep Learning Roadmap <roadmap@{SITE_HOST}>"
    if PRODUCTION
    else "Deep Learning Roadmap <roadmap@localhost>"
)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# Outside production, whitenoise serves straight from the app and static folders.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Content Security Policy (django-csp): everything from our own origin, nothing inline,
# nothing evaluated (htmx is configured with allowEval off in base.html).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF, *(PROVIDER_ORIGINS[name] for name in SOCIALACCOUNT_PROVIDERS)],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=()"
)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True

if PRODUCTION:
    CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    # Health checks and the metrics scraper reach each replica directly, over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
    SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31_536_000)
    if SECURE_HSTS_SECONDS < 0:
        raise ImproperlyConfigured("DJANGO_SECURE_HSTS_SECONDS must be 0 (off) or more.")
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # The __Host- prefix: the browser takes these cookies only from this very host, over
    # HTTPS, for the whole site, so a sibling subdomain cannot plant a session (whose
    # visitor's states would merge into the victim's account at log-in) or a CSRF token.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

# Cache: shared by every process. Django's database cache (each write one statement:
# config/cache.py) needs no other service; REDIS_URL switches to Redis.
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "config.cache.PostgresCache",
            "LOCATION": "django_cache",
            # Kept renderings live here too (roadmap/render_once.py): a page per roadmap
            # and kind of viewer, an answer per resource ticked; Django's default of 300
            # entries would cull them, and the rate limits' counters with them.
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }
# A learner's own pieces of /me/ (`{% cache ... using="pages" %}`), named by all they are
# made of, so none goes stale: kept in each process (a hit costs no round trip; a miss,
# one render of that learner's page), the least recently used culled past 300.
CACHES["pages"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "pages",
    "TIMEOUT": 24 * 60 * 60,
}

# Share pages' sections, each filled for one learner (roadmap/pages.py,
# `shared_sections`): kept in each process, the least recently used culled past 40, two
# learners' pages of 20 roadmaps (a 500-resource roadmap's section is about 210 KB: some
# 8 MB in all; 2,000 resources, some 34 MB).
CACHES["shares"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "shares",
    "TIMEOUT": 24 * 60 * 60,
    "OPTIONS": {"MAX_ENTRIES": 40},
}

# Logs go to stdout; in production (or with DJANGO_LOG_FORMAT=json) one JSON object a line.
LOG_FORMAT = os.environ.get("DJANGO_LOG_FORMAT", "json" if PRODUCTION else "text")
# Metrics (roadmap/metrics.py): /metrics answers only these addresses or networks, as
# they connect; everyone else gets 404.
METRICS_ALLOWED_IPS = [
    item.strip()
    for item in os.environ.get("METRICS_ALLOWED_IPS", "127.0.0.1,::1").split(",")
    if item.strip()
]
try:
    [ipaddress.ip_network(item, strict=False) for item in METRICS_ALLOWED_IPS]
except ValueError as error:
    raise ImproperlyConfigured(f"METRICS_ALLOWED_IPS: {error}") from error

# Error reports to Sentry, only when SENTRY_DSN is set, with no personal data
# (config/sentry.py).
if os.environ.get("SENTRY_DSN"):
    from config import sentry

    sentry.start(os.environ["SENTRY_DSN"], environment=ENVIRONMENT)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "config.logging.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "filters": {"routes_not_paths": {"()": "config.logging.RoutesNotPaths"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": LOG_FORMAT,
            "filters": ["routes_not_paths"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        # (Every command would otherwise list the periodic jobs as it starts.)
        "procrastinate.periodic": {"level": "WARNING"},
        # A line a request (config/middleware.py), where no other server writes one:
        # `runserver` writes its own.
        "config.access": {"level": "WARNING" if DEBUG else "INFO"},
    },
}
