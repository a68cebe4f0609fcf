"""A visitor's ticks join their account when they sign up or log in."""

from django.contrib import messages
from django.contrib.auth.signals import user_logged_in

from roadmap.progress import VISITOR_ROWS, has_visitor_rows, visitor_rows
from roadmap.services import progress_merge


def merge_visitor_progress(sender, request, user, **kwargs) -> None:
    """Django keeps the session's data when it logs someone in (it only changes the
    key), so what the visitor ticked is still here: it goes into the account, and out of
    the session."""
    if request is None or not has_visitor_rows(request.session):
        return
    rows = visitor_rows(request.session)
    if rows:
        merged = progress_merge(user=user, rows=rows)  # (should it fail, the rows stay)
        said = f"Your progress from this browser is in your account now: {merged.added} kept."
        if merged.kept:
            said += f" Where your account had a state already ({merged.kept}), it kept its own."
        messages.success(request, said)
    request.session.pop(VISITOR_ROWS, None)


def connect() -> None:
    user_logged_in.connect(merge_visitor_progress, dispatch_uid="merge_visitor_progress")
