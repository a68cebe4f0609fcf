import unicodedata
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib.auth.models import AbstractUser
from django.contrib.sessions.base_session import AbstractBaseSession
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

WEEKLY_GOAL = (1, 500)  # the fewest and the most resources a week a goal may be
# The marks that set the direction of the text after them (Unicode's bidirectional
# embeddings, overrides, isolates and marks).
DIRECTION_MARKS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def reads_as_written(value: str) -> None:
    """A name, title or address someone writes, shown to others inside a sentence or a
    list (a share page's headline, its title and its link preview; a curator's titles and
    a resource's URL, wherever they are listed; a badge; a suggested resource's title and
    URL, in the curators' queue and once accepted) reads as written: without control
    characters (XML, and so a badge, refuses them), or marks that turn the text after it
    the other way (it could otherwise reverse the text around it, or disguise where a
    link goes)."""
    if any(unicodedata.category(c) == "Cc" or c in DIRECTION_MARKS for c in value):
        raise ValidationError(
            "Control characters and marks that change the direction of the text are not"
            " allowed here."
        )


class User(AbstractUser):
    """A learner or curator. Custom from the start so fields can be added without pain."""

    display_name = models.CharField(
        max_length=60,
        blank=True,
        validators=[reads_as_written],
        help_text="Shown on your shared progress page instead of your username.",
    )

    # The learner's IANA zone: every date the site shows them, and the day each change of
    # theirs is recorded on (activity/models.py), is in it. From the browser at sign-up.
    time_zone = models.CharField(max_length=64, default="UTC", db_default="UTC")
    weekly_goal = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(WEEKLY_GOAL[0]), MaxValueValidator(WEEKLY_GOAL[1])],
        help_text="How many resources a week you mean to finish (done or skipped).",
    )
    weekly_email = models.BooleanField(default=False, db_default=False)
    activity_shared = models.BooleanField(default=False, db_default=False)

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def zone(self) -> ZoneInfo:
        """The learner's zone; UTC if the stored name is none this Python knows (the
        profile takes only known names, but a direct write or a zone dropped from tzdata
        can leave one), as the database then records their days (activity 0003)."""
        try:
            return ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")


class Session(AbstractBaseSession):
    """Django's database session, plus who is signed in with it: a request reads both in
    one query (accounts/sessions.py), and deleting a user ends their sessions."""

    # Django deletes a user's sessions with the user (CASCADE, done by the ORM). No
    # database constraint: a request saving its session while its user is being deleted
    # must not fail; a session naming a missing user simply signs nobody in.
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, db_constraint=False
    )

    @classmethod
    def get_session_store_class(cls):
        from accounts.sessions import SessionStore

        return SessionStore
