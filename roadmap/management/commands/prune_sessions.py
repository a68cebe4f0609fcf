"""Delete expired sessions (Django's `clearsessions`) and the states visitors kept under
them, and what joins named of those visitors. Run it every day: the container's worker
does (scripts/worker), or cron (README)."""

from django.core.management import BaseCommand, call_command
from django.db.models import Exists, OuterRef

from accounts.models import Session as StoredSession
from roadmap.models import VisitorProgress, WorkJoinEntry


class Command(BaseCommand):
    help = "Delete expired sessions and the states visitors kept under them."

    def handle(self, *args, **options) -> None:
        call_command("clearsessions")
        gone = ~Exists(StoredSession.objects.filter(session_key=OuterRef("visitor")))
        deleted, _ = VisitorProgress.objects.filter(gone).delete()
        # Whatever way their session went (expired, or an account's at log-in), with
        # states left or none: no row of theirs is left for an entry to name, nor will be.
        forgotten, _ = WorkJoinEntry.objects.exclude(visitor="").filter(gone).delete()
        self.stdout.write(
            f"Expired sessions deleted; {deleted} visitors' states with them,"
            f" and {forgotten} entries of joins that named visitors gone."
        )
