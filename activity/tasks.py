"""The weekly summaries, on the job runner: every hour, what is due then (a learner's
Monday 08:00 comes in the hour their zone reaches it)."""

from django.core.management import call_command
from procrastinate.contrib.django import app


@app.periodic(cron="5 * * * *", periodic_id="send_digests")
@app.task(queueing_lock="send_digests")
def send_digests(timestamp: int) -> None:
    call_command("send_digests")
