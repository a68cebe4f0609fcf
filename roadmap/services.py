"""Writes to the roadmap's data. Views call these; nothing else writes progress."""

from __future__ import annotations

from django.db import transaction

from roadmap.models import Progress, Resource, ShareLink, new_share_token


def progress_set(*, user, resource: Resource, done: bool) -> None:
    """Record that `user` has (or has not) completed `resource`.

    Sets the desired state rather than toggling, so a retried or doubled request cannot
    flip it back. Ticking an already ticked resource keeps its first completion date;
    concurrent requests meet at the unique constraint (INSERT ... ON CONFLICT DO NOTHING),
    never in an IntegrityError.
    """
    if done:
        Progress.objects.bulk_create(
            [Progress(user=user, resource=resource)], ignore_conflicts=True
        )
    else:
        Progress.objects.filter(user=user, resource=resource).delete()


def share_link_enable(*, user) -> ShareLink:
    """Turn sharing on; if it is on already, keep the link the learner has."""
    link, _ = ShareLink.objects.get_or_create(user=user)
    return link


@transaction.atomic
def share_link_regenerate(*, user) -> ShareLink:
    """Give the learner a new link; the old one stops working at once."""
    link, created = ShareLink.objects.select_for_update().get_or_create(user=user)
    if not created:
        link.token = new_share_token()
        link.save(update_fields=["token", "created_at"])
    return link


def share_link_disable(*, user) -> None:
    """Turn sharing off: the link is forgotten and answers 404 from now on."""
    ShareLink.objects.filter(user=user).delete()
