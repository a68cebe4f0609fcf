"""Display names written before 0007 refused them lose their control characters and
direction marks (accounts.models.reads_as_written): the share page's headline reads as
written whatever name was saved before."""

import unicodedata

from django.db import migrations

# accounts.models.DIRECTION_MARKS, as it is when this is written.
DIRECTION_MARKS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def as_written(name: str) -> str:
    """As the profile would take it: spaces, tabs and line breaks one space (its
    `clean_display_name`), and no other control character or direction mark."""
    spaced = " ".join(name.split())
    kept = "".join(
        c for c in spaced if unicodedata.category(c) != "Cc" and c not in DIRECTION_MARKS
    )
    return " ".join(kept.split())


def tidy(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    for user in User.objects.exclude(display_name="").only("pk", "display_name").iterator():
        if (name := as_written(user.display_name)) != user.display_name:
            User.objects.filter(pk=user.pk).update(display_name=name)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0007_display_name_reads_as_written")]

    operations = [migrations.RunPython(tidy, migrations.RunPython.noop, elidable=True)]
