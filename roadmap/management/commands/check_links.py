from django.core.management.base import BaseCommand, CommandError
from django.db.models import F
from django.utils import timezone

from roadmap.links import check_urls
from roadmap.models import Resource


class Command(BaseCommand):
    help = "Check every published resource's URL and record the answer for the admin."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--concurrency", type=int, default=8, help="Checks at once (8).")
        parser.add_argument("--timeout", type=float, default=10, help="Seconds per request (10).")
        parser.add_argument(
            "--total-timeout", type=float, default=300, help="Seconds for the whole run (300)."
        )

    def handle(self, *args, concurrency: int, timeout: float, total_timeout: float, **options):
        if concurrency < 1 or timeout <= 0 or total_timeout <= 0:
            raise CommandError("--concurrency, --timeout and --total-timeout must be positive.")
        # The links checked least lately first (never checked, then the oldest): a run cut
        # short by --total-timeout leaves the ones it checked last time, not the same tail
        # of the alphabet every time.
        published = Resource.objects.filter(status=Resource.Status.PUBLISHED)
        resources = list(published.order_by(F("link_checked_at").asc(nulls_first=True), "pk"))
        urls = list(dict.fromkeys(resource.url for resource in resources))
        results = check_urls(
            urls, concurrency=concurrency, timeout=timeout, total_timeout=total_timeout
        )
        now = timezone.now()
        checked = []
        for resource in resources:
            result = results.get(resource.url)
            if result is not None:
                resource.link_status, resource.link_error = result.status, result.error
                resource.link_checked_at = now
                checked.append(resource)
        Resource.objects.bulk_update(checked, ["link_status", "link_error", "link_checked_at"])

        broken = [r for r in checked if r.link_broken]
        self.stdout.write(
            f"Checked {len(checked)} of {len(resources)} links: "
            f"{len(checked) - len(broken)} ok, {len(broken)} broken, "
            f"{len(resources) - len(checked)} not checked in time."
        )
        for resource in broken:
            answer = resource.link_error or f"HTTP {resource.link_status}"
            self.stdout.write(f"  broken: {resource.title} <{resource.url}>: {answer}")
