"""What the test servers (scripts/serve, started by test_scale_out.py) run with: the
settings as deployed, but passwords hashed as the in-process tests hash them (conftest's
`fast_password_hashing`). Those tests are about what the processes share (sessions, rate
limits, kept pages), and a log-in hashed as in production costs half a second here."""

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
