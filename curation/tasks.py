"""The insights' figures, computed afresh on the job runner (curation/insights.py)."""

from django.conf import settings
from django.core.management import call_command
from procrastinate.contrib.django import app


@app.periodic(cron=settings.INSIGHTS_REFRESH_CRON, periodic_id="refresh_insights")
@app.task(queueing_lock="refresh_insights")
def refresh_insights(timestamp: int) -> None:
    call_command("refresh_insights")
