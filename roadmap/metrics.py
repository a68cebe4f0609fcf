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
import os

import prometheus_client
from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CollectorRegistry, multiprocess
from prometheus_client.core import GaugeMetricFamily

from roadmap.content import content_version

# Counting learners and today's ticks reads whole tables: once a minute for every
# replica and scraper together, through the shared cache, not at every scrape.
COUNTS_SECONDS = 60


def counts() -> dict[str, int]:
    from accounts.models import User
    from roadmap.models import Progress

    midnight = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    return {
        "learners": User.objects.filter(Q(is_active=True) & Q(is_staff=False)).count(),
        "ticks_today": Progress.objects.filter(completed_at__gte=midnight).count(),
    }


class RoadmapCollector:
    """The roadmap's own gauges."""

    def collect(self):
        counted = cache.get_or_set("metrics:roadmap-counts", counts, COUNTS_SECONDS)
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
            "roadmap_content_version",
            "The content version: it goes up with every edit of the roadmap's content.",
            value=content_version(),
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
