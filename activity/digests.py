"""The weekly summary: last week's activity, the streak, the goal and what is next, sent
on Monday at 08:00 in each learner's zone to those who asked for it, at a verified
address, with a one-click unsubscribe (RFC 8058).

At most one a learner a week, whatever happens: each is claimed, with what it says, in
one statement that commits before it is sent (`CLAIM`: it writes only if the last one
is older than `last_sent_before` says: six days, and, but with `force`, the learner's
last Monday 08:00). A job run twice, or two workers at once, meet at that row; a worker killed
after the claim and before the send leaves a week without one, never a second; a
summary the mail server could not take now (out of reach, or "try again later") is put
back, for the next hourly run, and one it refuses for good (a dead address) is not
tried again that week; a zone changed since the last one cannot make a second in six
days. (One case can make a second: a connection lost after the server took the message
but before it said so.)
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage, get_connection
from django.db import connection
from django.db.models import Exists, OuterRef, Subquery
from django.db.models.functions import Lower
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.adapters import at_site
from accounts.models import User
from activity.models import Digest
from activity.rhythm import Rhythm, paces, rhythm_of, rhythms_of, week_start
from roadmap.progress import LearnerState, learner_state, learner_states

logger = logging.getLogger(__name__)
SALT = "activity.digest.unsubscribe"
SEND_AT_HOUR = 8  # Monday, in the learner's zone
# (With the last one as it was, the statement's snapshot, to put back if this one is
# refused by the mail server.)
CLAIM = """
WITH last AS (SELECT sent_at, subject, body FROM activity_digest WHERE user_id = %(user)s)
INSERT INTO activity_digest (user_id, sent_at, subject, body)
VALUES (%(user)s, %(now)s, %(subject)s, %(body)s)
ON CONFLICT (user_id) DO UPDATE
SET sent_at = EXCLUDED.sent_at, subject = EXCLUDED.subject, body = EXCLUDED.body
WHERE activity_digest.sent_at < %(before)s
RETURNING (SELECT sent_at FROM last), (SELECT subject FROM last), (SELECT body FROM last)
"""


def unsubscribe_token(user) -> str:
    """The learner's unsubscribe link's token: their id, signed; no login needed."""
    return signing.dumps(user.pk, salt=SALT)


def unsubscribed_id(token: str) -> int | None:
    """The id of the learner a token names, or None if it was tampered with. (Whether
    they are still here is not asked: a deactivated learner is unsubscribed all the
    same, and a deleted one gets nothing anyway.)"""
    try:
        return int(signing.loads(token, salt=SALT))
    except (signing.BadSignature, TypeError, ValueError):
        return None


def last_monday_morning(user, now: datetime) -> datetime:
    """The learner's latest Monday 08:00 (in their zone) at or before `now`."""
    zone = user.zone
    local = now.astimezone(zone)
    monday = datetime.combine(week_start(local.date()), datetime.min.time(), zone)
    morning = monday.replace(hour=SEND_AT_HOUR)
    return morning if morning <= local else morning - timedelta(weeks=1)


def recipients():
    """The learners who asked for a summary and whose address is verified."""
    # (Compared as allauth does, has_verified_email: its addresses are kept in lower case.)
    verified = EmailAddress.objects.filter(user=OuterRef("pk"), email=Lower(OuterRef("email")))
    return User.objects.filter(
        Exists(verified.filter(verified=True)), weekly_email=True, is_active=True
    ).exclude(email="")


@dataclass(frozen=True)
class Summary:
    subject: str
    body: str
    unsubscribe: str  # its one-click link


def summary_of(
    user,
    now: datetime,
    sections: dict[tuple, str] | None = None,
    *,
    rhythm: Rhythm | None = None,
    state: LearnerState | None = None,
) -> Summary:
    """What a learner's summary says, as of `now` (their `rhythm` and `state`, when read
    with others'). `sections`: each roadmap's lines as they were written for a learner
    with the same figures and next resource, kept for a whole run (most learners of a
    roadmap are at a few places in it; paired: docs/performance.md)."""
    sections = {} if sections is None else sections
    rhythm = rhythm or rhythm_of(user, now)
    monday = week_start(rhythm.today) - timedelta(weeks=1)
    days = sum(1 for day in rhythm.active if monday <= day < monday + timedelta(weeks=1))
    moved, finished = rhythm.last_week
    state = state or learner_state(user=user)
    roadmaps = []
    for pace in paces(rhythm, state):
        next_up = state.next_up(pace.listed)
        made_of = (pace.listed.scope, pace.percent, pace.weeks, next_up and next_up.pk)
        if made_of not in sections:
            sections[made_of] = render_to_string(
                "activity/digest.txt#roadmap",
                {
                    "pace": pace,
                    "next_up": next_up,
                    "link": next_up and at_site(next_up.get_absolute_url()),
                },
            )
        roadmaps.append(sections[made_of])
    unsubscribe = unsubscribe_url(user)
    context = {
        "user": user,
        "site": settings.SITE_URL,
        "moved": moved,
        "finished": finished,
        "days": days,
        "rhythm": rhythm,
        "roadmaps": roadmaps,
        "unsubscribe": unsubscribe,
    }
    subject = f"Your week on the Deep Learning Roadmap: {moved} moved forward"
    return Summary(subject, render_to_string("activity/digest.txt", context), unsubscribe)


def unsubscribe_url(user) -> str:
    return at_site(reverse("digest-unsubscribe", args=[unsubscribe_token(user)]))


def last_sent_before(user, now: datetime, *, force: bool) -> datetime | None:
    """How old a learner's last summary must be for one to go now: older than six days
    and, but with `force`, than their last Monday 08:00 (the rule, once: `CLAIM` writes
    under it, and a run builds a summary only under it). None: nothing is due now, it is
    not Monday morning where they are (a worker down that long leaves it to `force`)."""
    six_days_ago = now - timedelta(days=6)
    if force:
        return six_days_ago
    morning = last_monday_morning(user, now)
    if now - morning > timedelta(days=1):
        return None
    return min(morning, six_days_ago)


def claim(user, summary: Summary, *, now: datetime, before: datetime) -> tuple | None:
    """Record `summary` as the learner's last, if their last was sent before `before`:
    one statement, committed before anything is sent. The last one as it was (its
    `sent_at`, `subject` and `body`, all None before the first), or None when not
    claimed."""
    parameters = {
        "user": user.pk,
        "now": now,
        "subject": summary.subject,
        "body": summary.body,
        "before": before,
    }
    with connection.cursor() as cursor:
        cursor.execute(CLAIM, parameters)
        return cursor.fetchone()


def unclaim(user, last: tuple, *, now: datetime) -> None:
    """Put the learner's last summary back as it was before the claim made at `now` (one
    the mail server refused was not sent: the next run sends it)."""
    claimed = Digest.objects.filter(user=user, sent_at=now)
    sent_at, subject, body = last
    if sent_at is None:
        claimed.delete()
    else:
        claimed.update(sent_at=sent_at, subject=subject, body=body)


# Learners whose summaries are built together: their rhythms and states read in two
# queries, not two each (each summary is still claimed and sent on its own).
BATCH = 500


def digests_send(*, now: datetime | None = None, force: bool = False) -> int:
    """Send the summaries due at `now` (every learner whose Monday 08:00 has come since
    their last), or with `force` every opted-in learner's whose last is more than six
    days old, whatever the day. Returns how many were sent."""
    now = now or timezone.now()
    sent, sections = 0, {}
    last = Digest.objects.filter(user=OuterRef("pk")).values("sent_at")
    learners = recipients().annotate(last_sent=Subquery(last)).iterator(chunk_size=2000)
    with get_connection() as mail:
        while batch := list(islice(learners, BATCH)):
            due = [(user, before) for user in batch if (before := due_before(user, now, force))]
            users = [user for user, _before in due]
            rhythms, states = rhythms_of(users, now), learner_states(users=users)
            for user, before in due:
                try:
                    summary = summary_of(
                        user, now, sections, rhythm=rhythms[user.pk], state=states[user.pk]
                    )
                    if (last := claim(user, summary, now=now, before=before)) is not None:
                        try:
                            send(user, summary, mail)
                        except Exception as error:
                            if refused_for_now(error):
                                unclaim(user, last, now=now)  # not sent: the next run's
                            if out_of_reach(error):
                                # Nobody else's goes now either (each would wait for the
                                # server): theirs are not claimed yet, the next run's.
                                logger.warning(
                                    "The mail server is out of reach (%s): the weekly"
                                    " summaries not sent yet go in the next run.",
                                    type(error).__name__,
                                )
                                return sent
                            raise
                        sent += 1
                except smtplib.SMTPException as error:
                    # An address the server refuses: that learner's alone, and the others
                    # still get theirs. Logged by kind and code only: the server's words,
                    # and smtplib's, name the address.
                    code = getattr(error, "smtp_code", None)
                    logger.warning(
                        "The weekly summary of user %s was not sent: %s%s.",
                        user.pk,
                        type(error).__name__,
                        f" {code}" if code else "",
                    )
                except Exception:
                    # Any other trouble of one learner's is theirs alone too.
                    logger.exception("The weekly summary of user %s was not sent.", user.pk)
    return sent


def out_of_reach(error: Exception) -> bool:
    """Whether a send failed because the mail server could not be reached or went away
    (not because it refused this message)."""
    if isinstance(error, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError):
        return True
    return isinstance(error, OSError) and not isinstance(error, smtplib.SMTPException)


def refused_for_now(error: Exception) -> bool:
    """Whether a summary whose send raised `error` may go in a later run: the server was
    out of reach, or said to try again (4xx). A lasting refusal (5xx: an address that is
    no more) keeps its claim, so that it is not tried again every hour."""
    if out_of_reach(error):
        return True
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _message in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    return False


def due_before(user, now: datetime, force: bool) -> datetime | None:
    """`last_sent_before` for a learner whose summary is due now (the claim decides
    races); None for one who is not, or whose zone cannot say (logged)."""
    try:
        before = last_sent_before(user, now, force=force)
    except Exception:
        logger.exception("The weekly summary of user %s was not sent.", user.pk)
        return None
    if before is None or (user.last_sent is not None and user.last_sent >= before):
        return None  # not due: nothing to build
    return before


def send(user, summary: Summary, mail) -> None:
    url = summary.unsubscribe
    EmailMessage(
        summary.subject,
        summary.body,
        to=[user.email],
        connection=mail,
        headers={
            "List-Unsubscribe": f"<{url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    ).send()
