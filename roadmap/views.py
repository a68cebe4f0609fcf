from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from roadmap.models import Roadmap


@require_GET
def roadmap_page(request: HttpRequest) -> HttpResponse:
    roadmap = Roadmap.objects.first()
    parts = []
    if roadmap is not None:
        parts = roadmap.parts.visible_to(request.user).with_content(request.user)
    return render(request, "roadmap/roadmap.html", {"roadmap": roadmap, "parts": parts})


@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """200 when the database answers, 503 when it does not. Touches no session."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")
