"""A join's entry names a visitor by the key their states are filed under, as
`VisitorProgress` does, where it kept a signed digest of it: the digest kept nothing from
anyone who can read that table, and cost a signature for every live session in the daily
prune and for every visitor's row in an undo. An entry whose digest names no session
there is now goes, as the next prune would take it; going back signs each key again."""

from django.conf import settings
from django.db import migrations, models
from django.utils.crypto import salted_hmac


def digest(key: str, secret: str) -> str:
    """A visitor's key as roadmap.services.recorded named it, before this."""
    return salted_hmac("roadmap.WorkJoin.visitor", key, secret=secret).hexdigest()[:32]


def keys_from_digests(apps, schema_editor):
    Entry = apps.get_model("roadmap", "WorkJoinEntry")
    named = set(Entry.objects.exclude(visitor="").values_list("visitor", flat=True))
    if not named:
        return
    Session = apps.get_model("accounts", "Session")
    VisitorProgress = apps.get_model("roadmap", "VisitorProgress")
    keys = set(Session.objects.values_list("session_key", flat=True))
    keys |= set(VisitorProgress.objects.values_list("visitor", flat=True))
    secrets = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    by_digest = {digest(key, secret): key for key in keys for secret in secrets}
    for name in named:
        if name in by_digest:
            Entry.objects.filter(visitor=name).update(visitor=by_digest[name])
        else:
            Entry.objects.filter(visitor=name).delete()


def digests_from_keys(apps, schema_editor):
    Entry = apps.get_model("roadmap", "WorkJoinEntry")
    for key in set(Entry.objects.exclude(visitor="").values_list("visitor", flat=True)):
        Entry.objects.filter(visitor=key).update(visitor=digest(key, settings.SECRET_KEY))


class Migration(migrations.Migration):
    dependencies = [
        ("roadmap", "0020_workjoin_record_goes"),
        ("accounts", "0008_display_names_read_as_written"),
    ]

    operations = [
        migrations.AlterField(
            model_name="workjoinentry",
            name="visitor",
            field=models.CharField(blank=True, max_length=40),
        ),
        migrations.RunPython(keys_from_digests, digests_from_keys),
    ]
