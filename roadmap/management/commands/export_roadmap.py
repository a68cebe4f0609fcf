from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from roadmap.roadmap_markdown import export_roadmap_markdown


class Command(BaseCommand):
    help = (
        "Write a roadmap (--roadmap SLUG, by default the first) as Markdown in the seed's "
        "format, to PATH or to stdout."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", type=Path, nargs="?")
        parser.add_argument("--roadmap", metavar="SLUG", help="The roadmap (default: the first).")

    def handle(self, *args, path: Path | None, roadmap: str | None, **options) -> None:
        text = export_roadmap_markdown(roadmap)
        if text is None:
            raise CommandError(
                f"There is no roadmap “{roadmap}”." if roadmap else "There is no roadmap to export."
            )
        if path is None:
            self.stdout.write(text, ending="")
            return
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as error:
            raise CommandError(f"{path}: cannot write it ({error})") from error
        self.stderr.write(f"Wrote {path}.")
