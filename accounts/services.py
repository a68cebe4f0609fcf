"""A learner's own data: taken away as JSON, or deleted with the account."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from activity.models import Digest, Event
from api.models import Token
from curation.models import Report, Suggestion
from roadmap.models import Note, Part, Progress, Resource, Roadmap, ShareLink, Work
from roadmap.progress import learner_state


def account_export(*, user, share_url: str | None) -> dict:
    """Everything the site holds about the learner, in a plain JSON-able structure."""
    progress = Progress.objects.filter(user=user).order_by("completed_at", "pk")
    state = learner_state(user=user)
    notes = {note.work_id: note for note in Note.objects.filter(user=user)}
    rows = {row.work_id: row for row in progress}
    # Where the learner can see each work listed: drafts are not theirs to see.
    listings = (
        Resource.objects.filter(work__in=[*rows, *notes])
        .exclude(status=Resource.Status.DRAFT)
        .filter(topic__part__status=Part.Status.PUBLISHED)
        .filter(topic__part__roadmap__status=Roadmap.Status.PUBLISHED)
        .select_related("topic__part__roadmap")
    )
    listed = {}
    for resource in listings.order_by("pk"):
        listed.setdefault(resource.work_id, []).append(resource)
    link = ShareLink.objects.filter(user=user).first()
    history = list(
        Event.objects.filter(user=user)
        .order_by("at", "pk")
        .values_list("work_id", "before", "after", "at", "day")
    )
    history_works = {row[0] for row in history}
    history_addresses = dict(Work.objects.filter(pk__in=history_works).values_list("pk", "url_key"))
    addresses = dict(Work.objects.filter(pk__in=[*rows, *notes]).values_list("pk", "url_key"))
    where_keys = [
        "resource_id",
        "title",
        "url",
        "roadmap",
        "part",
        "topic",
        "resource_status",
        "counts_toward_progress",
    ]

    def about(work: int, row=None) -> dict:
        note = notes.get(work)
        counted = row is not None and row.state in Progress.COUNTED_STATES
        # A work no resource lists any more keeps its state and note: said with nothing
        # but its address.
        where = [
            {
                "resource_id": str(resource.public_id),
                "title": resource.title,
                "url": resource.url,
                "roadmap": resource.topic.part.roadmap.title,
                "part": resource.topic.part.title,
                "topic": resource.topic.title,
                "resource_status": resource.status,
                "counts_toward_progress": str(resource.public_id) in state.content.by_public_id,
            }
            for resource in listed.get(work, [])
        ]
        return {
            # Where it is first listed (a work listed nowhere the learner can see: its
            # address alone, as URLs are compared; roadmap/models.py, url_key).
            **(where[0] if where else dict.fromkeys(where_keys) | {"url": None}),
            "address": addresses[work],
            "counts_toward_progress": any(place["counts_toward_progress"] for place in where),
            "listed_in": where,
            "state": row.state if row is not None else Progress.State.NOT_STARTED,
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
            "time_zone": user.time_zone,
            "weekly_goal": user.weekly_goal,
            "weekly_email": user.weekly_email,
            "activity_shared": user.activity_shared,
        },
        # Every change of state, oldest first, with the day it was where the learner was
        # (the address of a work no longer kept: none).
        "activity": [
            {
                "address": history_addresses.get(work),
                "from": before,
                "to": after,
                "at": at.isoformat(),
                "day": day.isoformat(),
            }
            for work, before, after, at, day in history
        ],
        # Each work (a URL, wherever it is listed) the learner has a state of or a note on.
        "progress": [about(work, row) for work, row in rows.items()]
        + [about(work) for work in notes if work not in rows],
        # Each published roadmap: what counts of it.
        "completion": {
            listed.roadmap.slug: {
                "done": figure.done,
                "skipped": figure.skipped,
                "total": figure.total,
                "percent": figure.percent,
            }
            for listed in state.content.published
            for figure in [state.progress.get(listed.key)]
        },
        # What they sent the curators, and what became of it.
        "suggestions": [
            {
                "title": suggestion.title,
                "url": suggestion.url,
                "why": suggestion.why,
                "credit": suggestion.credit,
                "topic": suggestion.topic and suggestion.topic.title,
                "kind": suggestion.kind,
                "status": suggestion.status,
                "reason": suggestion.reason,
                "sent_at": suggestion.created_at.isoformat(),
                "decided_at": suggestion.decided_at and suggestion.decided_at.isoformat(),
            }
            for suggestion in Suggestion.objects.of(user).prefetch_related("topic")
        ],
        "reports": [
            {
                "resource": report.resource.title,
                "url": report.resource.url,
                "problem": report.problem,
                "comment": report.comment,
                "status": report.status,
                "reason": report.reason,
                "sent_at": report.created_at.isoformat(),
                "closed_at": report.closed_at and report.closed_at.isoformat(),
            }
            for report in Report.objects.filter(user=user).select_related("resource").order_by("pk")
        ],
        # The providers they sign in with: which, the provider's id of them, and the
        # profile the provider sent at the last sign-in (allauth keeps it).
        "sign_in_providers": [
            {
                "provider": account.provider,
                "id": account.uid,
                "connected_at": account.date_joined.isoformat(),
                "last_login": account.last_login.isoformat(),
                "profile": account.extra_data,
            }
            for account in SocialAccount.objects.filter(user=user).order_by("provider")
        ],
        # Their API tokens: what each may do and when it was used (never the token, which
        # is not kept).
        "api_tokens": [
            {
                "name": token.name,
                "scope": token.scope,
                "created_at": token.created_at.isoformat(),
                "expires_at": token.expires_at and token.expires_at.isoformat(),
                "last_used_at": token.last_used_at and token.last_used_at.isoformat(),
            }
            for token in Token.objects.of(user)
        ],
        # The last weekly summary sent them, as it was sent.
        "weekly_summary": next(
            (
                {
                    "sent_at": digest.sent_at.isoformat(),
                    "subject": digest.subject,
                    "body": digest.body,
                }
                for digest in Digest.objects.filter(user=user)
            ),
            None,
        ),
        "sharing": {
            "enabled": link is not None,
            "url": share_url if link is not None else None,
            "since": link.created_at.isoformat() if link is not None else None,
        },
    }


@transaction.atomic
def account_delete(*, user) -> None:
    """Delete the learner; their progress, notes, activity, share link and email addresses
    go with them (on_delete=CASCADE, in one transaction), and admin's log of changes to
    their account names them no more (it keeps that a change was made)."""
    # The learner, and what admin shows of them by their address or provider's name.
    for model, pks in [
        (get_user_model(), [user.pk]),
        (EmailAddress, EmailAddress.objects.filter(user=user).values_list("pk", flat=True)),
        (SocialAccount, SocialAccount.objects.filter(user=user).values_list("pk", flat=True)),
    ]:
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model),
            object_id__in=[str(pk) for pk in pks],
        ).update(object_repr=f"Of a deleted learner (#{user.pk})", change_message="")
    user.delete()
