"""Delete expired sessions (Django's `clearsessions`) and the states visitors kept under
them, and what joins named of those visitors. Run it every day: the container's worker
does (scripts/worker), or cron (README)."""

from django.core.management import BaseCommand, call_command
from django.db.models import Exists, OuterRef

from accounts.models import Session as StoredSession
from roadmap.models import VisitorProgress
from roadmap.services import work_joins_forget


class Command(BaseCommand):
    help = "Delete expired sessions and the states visitors kept under them."

    def handle(self, *args, **options) -> None:
        call_command("clearsessions")
        live = StoredSession.objects.filter(session_key=OuterRef("visitor"))
        deleted, _ = VisitorProgress.objects.filter(~Exists(live)).delete()
        keys = StoredSession.objects.values_list("session_key", flat=True)
        forgotten = work_joins_forget(live=keys.iterator(chunk_size=2000))
        self.stdout.write(
            f"Expired sessions deleted; {deleted} visitors' states with them,"
            f" and {forgotten} entries of joins that named visitors gone."
        )
