from django.core.management.base import BaseCommand

from curation.insights import insights_refresh


class Command(BaseCommand):
    help = "Compute the figures of every roadmap's insights page afresh."

    def handle(self, *args, **options) -> None:
        done = insights_refresh()
        self.stdout.write(f"Insights refreshed in {done.seconds:.1f} s.")
