from argparse import ArgumentTypeError
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_slug

from roadmap.roadmap_markdown import RoadmapParseError, parse_roadmap
from roadmap.services import ImportRefused, roadmap_import


def slug(value: str) -> str:
    try:
        validate_slug(value)
    except ValidationError as error:
        raise ArgumentTypeError(
            f"“{value}” is not a slug: letters, digits, hyphens and underscores only."
        ) from error
    if len(value) > 100:
        raise ArgumentTypeError("a slug is at most 100 characters long.")
    return value


class Command(BaseCommand):
    help = (
        "Import a roadmap (--roadmap SLUG, by default the first) from a Markdown reading "
        "list: the seed's format or any list of links under headings. Upsert by URL, "
        "delete nothing; a roadmap that does not exist is created, as a draft unless "
        "--publish. Every line left out is reported with why. All or nothing: any error "
        "changes nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--roadmap", metavar="SLUG", type=slug, help="The roadmap (default: the first)."
        )
        parser.add_argument("--publish", action="store_true", help="Publish the roadmap.")
        parser.add_argument("--dry-run", action="store_true", help="Report, change nothing.")
        parser.add_argument(
            "--strict",
            action="store_true",
            help="Refuse the file when a line that looks meant as a resource is left out.",
        )
        parser.add_argument(
            "--archive-missing",
            action="store_true",
            help="Archive resources the file no longer lists (their progress is kept).",
        )

    def handle(
        self,
        *args,
        path: Path,
        roadmap: str | None,
        publish: bool,
        dry_run: bool,
        strict: bool,
        archive_missing: bool,
        **options,
    ) -> None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"{path}: cannot read it ({error})") from error
        try:
            document = parse_roadmap(text, source=str(path), strict=strict)
        except RoadmapParseError as error:
            raise CommandError(str(error)) from error
        self.say(document.counts())
        if document.skipped:
            self.say(f"Left out ({len(document.skipped)}):")
            for line in document.skipped_lines():
                self.say(f"  {line}")
        try:
            report = roadmap_import(
                document=document,
                slug=roadmap,
                publish=publish,
                archive_missing=archive_missing,
                dry_run=dry_run,
                say=self.say,
            )
        except ImportRefused as error:
            raise CommandError(f"{error} Use --roadmap SLUG.") from error
        for line in report.lines():
            self.say(line)

    def say(self, line: str) -> None:
        """One line of the report, out at once: a long file's report comes as it goes."""
        self.stdout.write(line)
        self.stdout.flush()
