"""A join's record no longer keeps the text of the notes it joined (a learner's private
text, in a record that outlived a note deleted or an account closed): how much of each
note was there before, and a digest of the text the join made, which is all undoing it
needs (services._work_join_undo)."""

from django.conf import settings
from django.db import migrations
from django.utils.crypto import salted_hmac


def digest(text: str, secret: str | None = None) -> str:
    """A note's text as roadmap.services.recorded names it, as it is when this is written."""
    return salted_hmac("roadmap.WorkJoin.note", text, secret=secret).hexdigest()[:32]


def forget_texts(apps, schema_editor):
    WorkJoin = apps.get_model("roadmap", "WorkJoin")
    for join in WorkJoin.objects.filter(record__has_key="notes_met").iterator():
        met = join.record["notes_met"]
        if not any("before" in values for values in met.values()):
            continue
        join.record["notes_met"] = {
            user: {
                "kept": len(values["before"]),
                "after": digest(values["after"]),
                "updated_at": values["updated_at"],
            }
            if "before" in values
            else values
            for user, values in met.items()
        }
        join.save(update_fields=["record"])


def texts_again(apps, schema_editor):
    """Back, for the code before, which reads a note met by its texts: a note that is as
    the join left it has them (the text before is its first `kept` characters); one changed
    since, or recorded by its length alone, is left out, as undoing leaves it anyway."""
    WorkJoin = apps.get_model("roadmap", "WorkJoin")
    Note = apps.get_model("roadmap", "Note")
    secrets = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    for join in WorkJoin.objects.filter(record__has_key="notes_met").iterator():
        met = join.record["notes_met"]
        if all("before" in values for values in met.values()):
            continue
        users = [int(user) for user in met]
        notes = Note.objects.filter(work=join.into_work_id, user__in=users)
        texts = {str(note.user_id): note.text for note in notes}
        again = {}
        for user, values in met.items():
            text = texts.get(user)
            if "before" in values:
                again[user] = values
            elif text is not None and values.get("after") in {digest(text, s) for s in secrets}:
                kept = values["kept"]
                again[user] = {
                    "before": text[:kept],
                    "after": text,
                    "updated_at": values["updated_at"],
                }
        join.record["notes_met"] = again
        join.save(update_fields=["record"])


class Migration(migrations.Migration):
    dependencies = [("roadmap", "0016_workjoin_resource")]

    operations = [migrations.RunPython(forget_texts, texts_again, elidable=True)]
