"""A join's record becomes its entries (models.WorkJoinEntry), a row for each learner's or
visitor's row it moved or met, where it was a JSON document: a learner's entries now go
with their account (deleted with it, as its other rows are), where the document kept
their ids after them. Of a note met, an entry keeps how much of it was there before and
a signed digest of the text the join made, never the text (as 0017 left the documents;
one recorded before 0017, with its texts, too). The document goes in 0020, and going back
past this makes every join's document again, as the code before read it."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.utils.crypto import salted_hmac


def digest(value: str, of: str) -> str:
    """A note's text or a visitor's key as roadmap.services.recorded names it, as it is
    when this is written."""
    return salted_hmac(f"roadmap.WorkJoin.{of}", value).hexdigest()[:32]


def note_met(values: dict) -> tuple[dict, str | None]:
    """A note met, as the record kept it: its texts, or their length and digest (or, as
    recorded for a while, its length alone: see `note_as_joined`)."""
    if "before" in values:
        kept, after = len(values["before"]), digest(values["after"], "note")
    else:
        kept, after = values["kept"], values.get("after")
    return {"kept": kept, "updated_at": values["updated_at"]}, after


def note_as_joined(Note, join, user: int, kept: int) -> str | None:
    """Of a note met recorded by its length alone: the digest of what the join made of
    it, if the note is that still (its first `kept` characters, then the note left where
    it was joined from: what that code's undoing checked); otherwise None, and undoing
    leaves it as it is."""
    works = [join.from_work_id, join.into_work_id]
    texts = dict(Note.objects.filter(user=user, work__in=works).values_list("work", "text"))
    text, left = texts.get(join.into_work_id), texts.get(join.from_work_id)
    if text is None or left is None or text != f"{text[:kept]}\n\n{left}":
        return None
    return digest(text, "note")


def entries_from_records(apps, schema_editor):
    WorkJoin = apps.get_model("roadmap", "WorkJoin")
    Entry = apps.get_model("roadmap", "WorkJoinEntry")
    VisitorProgress = apps.get_model("roadmap", "VisitorProgress")
    Note = apps.get_model("roadmap", "Note")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    learners = set(User.objects.values_list("pk", flat=True))  # (deleted ones left no row)
    entries = []
    for join in WorkJoin.objects.iterator():
        record = join.record or {}
        state = {"join": join, "kind": "state"}
        note = {"join": join, "kind": "note"}
        for user in {int(u) for u in record.get("states_moved", [])} & learners:
            entries.append(Entry(**state, user_id=user, moved=True))
        for user, values in record.get("states_met", {}).items():
            if int(user) in learners:
                entries.append(Entry(**state, user_id=int(user), moved=False, **values))
        for user in {int(u) for u in record.get("notes_moved", [])} & learners:
            entries.append(Entry(**note, user_id=user, moved=True))
        for user, values in record.get("notes_met", {}).items():
            if int(user) in learners:
                before, after = note_met(values)
                if after is None:
                    after = note_as_joined(Note, join, int(user), before["kept"])
                entries.append(
                    Entry(**note, user_id=int(user), moved=False, before=before, after=after)
                )
        for visitor in set(record.get("visitors_moved", [])):
            entries.append(Entry(**state, visitor=visitor, moved=True))
        for visitor, values in record.get("visitors_met", {}).items():
            entries.append(Entry(**state, visitor=visitor, moved=False, **values))
        # (Recorded for a while by their rows' ids: named by the visitors those rows are of.)
        moved, met = record.get("visitor_rows_moved", []), record.get("visitor_rows_met", {})
        if moved or met:
            rows = VisitorProgress.objects.in_bulk([*moved, *map(int, met)])
            for pk in moved:
                if pk in rows:
                    visitor = digest(rows[pk].visitor, "visitor")
                    entries.append(Entry(**state, visitor=visitor, moved=True))
            for pk, values in met.items():
                if int(pk) in rows:
                    visitor = digest(rows[int(pk)].visitor, "visitor")
                    entries.append(Entry(**state, visitor=visitor, moved=False, **values))
    Entry.objects.bulk_create(entries, batch_size=1000)


def records_from_entries(apps, schema_editor):
    WorkJoin = apps.get_model("roadmap", "WorkJoin")
    Entry = apps.get_model("roadmap", "WorkJoinEntry")
    for join in WorkJoin.objects.iterator():
        record = {
            "states_moved": [],
            "states_met": {},
            "notes_moved": [],
            "notes_met": {},
            "visitors_moved": [],
            "visitors_met": {},
        }
        for entry in Entry.objects.filter(join=join).order_by("pk"):
            values = {"before": entry.before, "after": entry.after}
            if entry.visitor and entry.moved:
                record["visitors_moved"].append(entry.visitor)
            elif entry.visitor:
                record["visitors_met"][entry.visitor] = values
            elif entry.kind == "state" and entry.moved:
                record["states_moved"].append(entry.user_id)
            elif entry.kind == "state":
                record["states_met"][str(entry.user_id)] = values
            elif entry.moved:
                record["notes_moved"].append(entry.user_id)
            else:
                record["notes_met"][str(entry.user_id)] = entry.before | {"after": entry.after}
        join.record = record
        join.save(update_fields=["record"])


class Migration(migrations.Migration):
    dependencies = [
        ("roadmap", "0018_markdown_line_ends"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="WorkJoinEntry",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(choices=[("state", "State"), ("note", "Note")], max_length=5),
                ),
                ("visitor", models.CharField(blank=True, max_length=32)),
                ("moved", models.BooleanField()),
                ("before", models.JSONField(blank=True, null=True)),
                ("after", models.JSONField(blank=True, null=True)),
                (
                    "join",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="entries",
                        to="roadmap.workjoin",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(
                        condition=models.Q(("visitor", ""), _negated=True),
                        fields=["visitor"],
                        name="work_join_entry_visitor",
                    )
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("user__isnull", False), ("visitor", "")),
                            models.Q(
                                ("kind", "state"),
                                ("user__isnull", True),
                                models.Q(("visitor", ""), _negated=True),
                            ),
                            _connector="OR",
                        ),
                        name="work_join_entry_whose",
                    ),
                    models.UniqueConstraint(
                        fields=("join", "kind", "user", "moved"),
                        name="work_join_entry_once_a_learner",
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("visitor", ""), _negated=True),
                        fields=("join", "visitor"),
                        name="work_join_entry_once_a_visitor",
                    ),
                ],
            },
        ),
        migrations.RunPython(entries_from_records, records_from_entries),
    ]
