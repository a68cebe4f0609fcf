"""A visitor's ticks join their account when they sign up or log in; so does whatever
another app kept of them (`visitor_joined`)."""

import logging

from django.contrib import messages
from django.contrib.auth.signals import user_logged_in
from django.dispatch import Signal

from roadmap.progress import VISITOR, has_visitor_rows
from roadmap.services import visitor_progress_merge

logger = logging.getLogger(__name__)

# A visitor signed up or logged in: what was kept under their key (`visitor`, as
# `roadmap.services.visitor_of` made it) is the account's (`user`) now.
visitor_joined = Signal()


def merge_visitor_progress(sender, request, user, **kwargs) -> None:
    """Django keeps the session's data when it logs someone in (it only changes the
    key), so the key the visitor's states are filed under is still here: they go into
    the account."""
    if request is None or not has_visitor_rows(request.session):
        return
    visitor = request.session.get(VISITOR)
    merged = visitor_progress_merge(user=user, session=request.session)
    if visitor:
        # Another app's trouble must not stop a sign-up: logged, and the learner is in.
        for receiver, result in visitor_joined.send_robust(None, visitor=visitor, user=user):
            if isinstance(result, Exception):
                logger.error("%s failed for user %s.", receiver, user.pk, exc_info=result)
    if merged is not None:
        said = f"Your progress from this browser is in your account now: {merged.added} kept."
        if merged.kept:
            said += f" Where your account had a state already ({merged.kept}), it kept its own."
        messages.success(request, said)


def connect() -> None:
    user_logged_in.connect(merge_visitor_progress, dispatch_uid="merge_visitor_progress")
