from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from roadmap.models import Part, Resource, Roadmap, Topic

SEED_FIXTURE = settings.BASE_DIR / "fixtures" / "deep-learning-roadmap.json"


class Command(BaseCommand):
    help = "Load the seed roadmap into an empty database; never touch existing content."

    def handle(self, *args, **options) -> None:
        if Roadmap.objects.exists():
            self.stdout.write("A roadmap is already there: the seed was not loaded.")
            return
        with transaction.atomic():
            call_command("loaddata", SEED_FIXTURE, verbosity=0)
            # loaddata writes rows as they are (no save()): their Markdown's HTML here.
            for model in (Roadmap, Part, Topic, Resource):
                model.objects.bulk_update(model.objects.all(), list(model.MARKDOWN))
        self.stdout.write(self.style.SUCCESS("Loaded the seed roadmap."))
