"""Prometheus metrics at /metrics, for the operator's scraper only.

django-prometheus counts requests and their latency by view, and database queries (its
middleware and database backend, see settings). To those this adds what the roadmap is
doing: learners, ticks today and the content version, read from the database when the
scraper asks. Under gunicorn every worker keeps its own figures; scripts/serve points
PROMETHEUS_MULTIPROC_DIR at a folder they share, and the figures are summed from there.

Only addresses in METRICS_ALLOWED_IPS get an answer, judged by the address that
connected (REMOTE_ADDR), never by a header a client could write: everyone else gets 404.
The scraper reaches each replica directly; nginx answers /metrics with 404 itself.
"""

from __future__ import annotations

import ipaddress
import logging
import os

import prometheus_client
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CollectorRegistry, multiprocess
from prometheus_client.core import GaugeMetricFamily

from roadmap.content import content_version

logger = logging.getLogger(__name__)

# Counting learners and today's ticks reads whole tables: once a minute for every
# replica and scraper together, through the shared cache, not at every scrape.
COUNTS_SECONDS = 60


# The job worker's queue, from procrastinate's own tables: a job due and waiting, with no
# worker alive, is what an alert catches (a page that defers a job answers at once, and a
# worker that is not running logs nothing).
JOBS = """
SELECT
  (SELECT count(*) FROM procrastinate_jobs
   WHERE status = 'todo' AND (scheduled_at IS NULL OR scheduled_at <= now())),
  (SELECT count(*) FROM procrastinate_workers
   WHERE last_heartbeat > now() - interval '1 minute')
"""
# A gauge read that waits on a lock (the cache's table, say) gives up before a scraper's
# own timeout (Prometheus's is 10 s): the rest of /metrics is served.
GAUGES_TIMEOUT = "5s"


def counts() -> dict[str, int]:
    from accounts.models import User
    from roadmap.models import Progress

    midnight = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    with connection.cursor() as cursor:
        cursor.execute(JOBS)
        jobs_due, job_workers = cursor.fetchone()
    return {
        "learners": User.objects.filter(Q(is_active=True) & Q(is_staff=False)).count(),
        "ticks_today": Progress.objects.filter(completed_at__gte=midnight).count(),
        "jobs_due": jobs_due,
        "job_workers": job_workers,
    }


class RoadmapCollector:
    """The roadmap's own gauges; when they cannot be read (the database or the shared
    cache failing), `roadmap_gauges_ok` 0 and the reason in the log, and the request
    figures served all the same: they are what the operator needs most then."""

    def collect(self):
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(f"SET LOCAL statement_timeout = '{GAUGES_TIMEOUT}'")
                counted = cache.get_or_set("metrics:roadmap-counts", counts, COUNTS_SECONDS)
                version = content_version()
        except Exception:  # whatever failed, the rest of /metrics is served
            logger.exception("The roadmap's gauges could not be read.")
            yield GaugeMetricFamily(
                "roadmap_gauges_ok", "Whether the roadmap's gauges could be read.", value=0
            )
            return
        yield GaugeMetricFamily(
            "roadmap_gauges_ok", "Whether the roadmap's gauges could be read.", value=1
        )
        yield GaugeMetricFamily(
            "roadmap_learners",
            "Active learner accounts (staff not counted), at most a minute old.",
            value=counted["learners"],
        )
        yield GaugeMetricFamily(
            "roadmap_ticks_today",
            "Resources learners have completed since midnight UTC, at most a minute old.",
            value=counted["ticks_today"],
        )
        yield GaugeMetricFamily(
            "roadmap_jobs_due",
            "Jobs due and waiting for a job worker, at most a minute old.",
            value=counted["jobs_due"],
        )
        yield GaugeMetricFamily(
            "roadmap_job_workers",
            "Job workers alive (a heartbeat in the last minute), at most a minute old.",
            value=counted["job_workers"],
        )
        yield GaugeMetricFamily(
            "roadmap_content_version",
            "The content version: it goes up with every edit of the roadmap's content.",
            value=version,
        )


def allowed(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # a dual-stack listener's way of writing an IPv4 client
    return any(
        ip in ipaddress.ip_network(net, strict=False) for net in settings.METRICS_ALLOWED_IPS
    )


@never_cache
@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    if not allowed(request.META.get("REMOTE_ADDR", "")):
        raise Http404
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)  # every worker's figures, summed
    else:
        registry.register(prometheus_client.REGISTRY)  # this one process's
    registry.register(RoadmapCollector())
    return HttpResponse(
        prometheus_client.generate_latest(registry),
        content_type=prometheus_client.CONTENT_TYPE_LATEST,
    )
