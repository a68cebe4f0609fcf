from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from roadmap.roadmap_markdown import RoadmapParseError, parse_roadmap
from roadmap.services import roadmap_import


class Command(BaseCommand):
    help = (
        "Import the roadmap from Markdown in the seed's format: upsert by URL, delete "
        "nothing. All or nothing: any error changes nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Report, change nothing.")
        parser.add_argument(
            "--archive-missing",
            action="store_true",
            help="Archive resources the file no longer lists (their progress is kept).",
        )

    def handle(self, *args, path: Path, dry_run: bool, archive_missing: bool, **options) -> None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"{path}: cannot read it ({error})") from error
        try:
            document = parse_roadmap(text, source=str(path))
        except RoadmapParseError as error:
            raise CommandError(str(error)) from error
        report = roadmap_import(document=document, archive_missing=archive_missing, dry_run=dry_run)
        for line in report.lines():
            self.stdout.write(line)
