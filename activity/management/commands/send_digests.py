from django.core.management.base import BaseCommand

from activity.digests import digests_send


class Command(BaseCommand):
    help = (
        "Send the weekly summaries due now (Monday 08:00 in each learner's zone); with"
        " --force, to every opted-in learner whose last is more than six days old."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Whatever the day: every opted-in learner whose last summary is over six days old.",
        )

    def handle(self, *args, force: bool, **options) -> None:
        sent = digests_send(force=force)
        self.stdout.write(f"{sent} weekly summar{'y' if sent == 1 else 'ies'} sent.")
