"""A learner's own data: taken away as JSON, or deleted with the account."""

from __future__ import annotations

from allauth.account.models import EmailAddress

from roadmap.models import Progress, ShareLink
from roadmap.progress import learner_state


def account_export(*, user, share_url: str | None) -> dict:
    """Everything the site holds about the learner, in a plain JSON-able structure."""
    progress = (
        Progress.objects.filter(user=user)
        .select_related("resource__topic__part")
        .order_by("completed_at", "pk")
    )
    state = learner_state(user=user)
    link = ShareLink.objects.filter(user=user).first()
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
        "progress": [
            {
                "resource_id": str(row.resource.public_id),
                "title": row.resource.title,
                "url": row.resource.url,
                "part": row.resource.topic.part.title,
                "topic": row.resource.topic.title,
                "resource_status": row.resource.status,
                "state": row.state,
                "counts_toward_progress": row.resource_id in state.content.counted,
                "completed_at": row.completed_at and row.completed_at.isoformat(),
            }
            for row in progress
        ],
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
    """Delete the learner; their progress, share link and email addresses go with them
    (on_delete=CASCADE, in one transaction)."""
    user.delete()
