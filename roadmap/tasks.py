"""The roadmap's scheduled work, on the job runner (procrastinate, README: Jobs): each
job runs the management command an operator would, so the two never differ."""

from django.conf import settings
from django.core.management import call_command
from procrastinate.contrib.django import app


@app.periodic(cron=settings.LINK_CHECK_CRON, periodic_id="check_links")
@app.task(queueing_lock="check_links")
def check_links(timestamp: int) -> None:
    """The dead-link check (weekly by default, LINK_CHECK_CRON); results in admin."""
    call_command("check_links")


@app.periodic(cron="30 4 * * *", periodic_id="prune_sessions")
@app.task(queueing_lock="prune_sessions")
def prune_sessions(timestamp: int) -> None:
    """Expired sessions and the states visitors kept under them, daily."""
    call_command("prune_sessions")
