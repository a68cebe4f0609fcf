"""A learner's own data: taken away as JSON, or deleted with the account."""

from __future__ import annotations

from allauth.account.models import EmailAddress

from roadmap.models import Note, Progress, ShareLink
from roadmap.progress import learner_state


def account_export(*, user, share_url: str | None) -> dict:
    """Everything the site holds about the learner, in a plain JSON-able structure."""
    progress = (
        Progress.objects.filter(user=user)
        .select_related("resource__topic__part")
        .order_by("completed_at", "pk")
    )
    state = learner_state(user=user)
    notes = {
        note.resource_id: note
        for note in Note.objects.filter(user=user).select_related("resource__topic__part")
    }
    link = ShareLink.objects.filter(user=user).first()

    stated = {row.resource_id for row in progress}

    def about(resource, row=None) -> dict:
        note = notes.get(resource.pk)
        counted = row is not None and row.state in Progress.COUNTED_STATES
        return {
            "resource_id": str(resource.public_id),
            "title": resource.title,
            "url": resource.url,
            "part": resource.topic.part.title,
            "topic": resource.topic.title,
            "resource_status": resource.status,
            "state": row.state if row is not None else Progress.State.NOT_STARTED,
            "counts_toward_progress": resource.pk in state.content.counted,
            # done or skipped: when it was completed; in progress: when it was started
            "completed_at": row.completed_at.isoformat() if counted and row.completed_at else None,
            "started_at": row.completed_at.isoformat()
            if row is not None and not counted and row.completed_at
            else None,
            "note": note.text if note else None,
            "note_updated_at": note.updated_at.isoformat() if note else None,
        }

    return {
        "account": {
            "username": user.username,
            "email": user.email,
            "display_name": user.display_name,
            "date_joined": user.date_joined.isoformat(),
            "last_login": user.last_login.isoformat() if user.last_login else None,
            "email_addresses": [
                {"email": address.email, "verified": address.verified, "primary": address.primary}
                for address in EmailAddress.objects.filter(user=user).order_by("pk")
            ],
        },
        # Each resource the learner has a state of or a note on.
        "progress": [about(row.resource, row) for row in progress]
        + [about(note.resource) for pk, note in notes.items() if pk not in stated],
        "completion": {
            "done": state.progress.overall.done,
            "skipped": state.progress.overall.skipped,
            "total": state.progress.overall.total,
            "percent": state.progress.overall.percent,
        },
        "sharing": {
            "enabled": link is not None,
            "url": share_url if link is not None else None,
            "since": link.created_at.isoformat() if link is not None else None,
        },
    }


def account_delete(*, user) -> None:
    """Delete the learner; their progress, notes, share link and email addresses go with them
    (on_delete=CASCADE, in one transaction)."""
    user.delete()
