"""A visitor's ticks join their account when they sign up or log in."""

from django.contrib import messages
from django.contrib.auth.signals import user_logged_in

from roadmap.progress import has_visitor_rows
from roadmap.services import visitor_progress_merge


def merge_visitor_progress(sender, request, user, **kwargs) -> None:
    """Django keeps the session's data when it logs someone in (it only changes the
    key), so the key the visitor's states are filed under is still here: they go into
    the account."""
    if request is None or not has_visitor_rows(request.session):
        return
    merged = visitor_progress_merge(user=user, session=request.session)
    if merged is not None:
        said = f"Your progress from this browser is in your account now: {merged.added} kept."
        if merged.kept:
            said += f" Where your account had a state already ({merged.kept}), it kept its own."
        messages.success(request, said)


def connect() -> None:
    user_logged_in.connect(merge_visitor_progress, dispatch_uid="merge_visitor_progress")
