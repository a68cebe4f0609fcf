"""Writes to the roadmap's data. Views call these; nothing else writes progress."""

from __future__ import annotations

from roadmap.models import Progress, Resource


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
