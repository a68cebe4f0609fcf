"""A join's record no longer keeps the text of the notes it joined (a learner's private
text, in a record that outlived a note deleted or an account closed): how much of each
note was there before, and a digest of the text the join made, which is all undoing it
needs (services._work_join_undo)."""

from django.db import migrations
from django.utils.crypto import salted_hmac


def digest(text: str) -> str:
    """A note's text as roadmap.services.recorded names it, as it is when this is written."""
    return salted_hmac("roadmap.WorkJoin.note", text).hexdigest()[:32]


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


class Migration(migrations.Migration):
    dependencies = [("roadmap", "0016_workjoin_resource")]

    operations = [migrations.RunPython(forget_texts, migrations.RunPython.noop, elidable=True)]
