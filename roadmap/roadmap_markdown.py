"""The roadmap as Markdown, in the seed's format, read and written.

    # Roadmap title
    Introduction paragraphs.
    ## Part one: Part title
    -- soon --                      (coming soon; `-- draft --` for a draft)
    Part summary.
    ### Topic title
    * [Resource title](https://example.com/)
      <!-- kind: book, level: beginner, cost: free -->   (optional)
      Description, indented; blank lines inside it are kept when the next line is indented.

The author's editor notes are not content: other lines starting with `--`, a paragraph
starting with `strucure:` (or `structure:`), and lines that are only a bracketed aside.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.text import slugify

RESOURCE_LINE = re.compile(r"^[*-] \[(?P<title>(?:\\.|[^\]\\])+)\]\((?P<url>\S+)\)\s*$")
PART_HEADING = re.compile(r"^Part [\w-]+:\s*", re.IGNORECASE)
METADATA = re.compile(r"^<!--(?P<body>.*)-->$")
LIST_ITEM = re.compile(r"^\s*(?:[*+-]|\d+[.)])\s")
ASIDE = re.compile(r"^\[[^\]]*\]$")
NUMBER_WORDS = [
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
]
KINDS = {"book", "course", "video", "article", "paper", "tool", "other"}
LEVELS = {"beginner", "intermediate", "advanced"}
COSTS = {"free", "paid"}


class RoadmapParseError(ValueError):
    """What in a roadmap's Markdown cannot be imported: one problem or several, each
    named by its source and line (`problems`, one "source:line: message" each)."""

    def __init__(self, source: str, line: int, message: str, *more: tuple[int, str]) -> None:
        self.problems = [f"{source}:{number}: {text}" for number, text in [(line, message), *more]]
        super().__init__("\n".join(self.problems))

    @classmethod
    def of(cls, source: str, problems: list[tuple[int, str]]) -> RoadmapParseError:
        return cls(source, *problems[0], *problems[1:])


@dataclass
class ParsedResource:
    title: str
    url: str
    line: int
    description_lines: list[str] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def description(self) -> str:
        text = textwrap.dedent("\n".join(self.description_lines))
        return "\n".join(line.rstrip() for line in text.strip().splitlines())

    @property
    def kind(self) -> str:
        return self.metadata.get("kind") or guess_kind(self.title, self.url, self.description)


@dataclass
class ParsedSection:
    """A part or a topic: a heading's title and the text under it."""

    title: str
    line: int
    summary_lines: list[str] = field(default_factory=list)

    @property
    def slug(self) -> str:
        return slugify(self.title)[:100]

    @property
    def summary(self) -> str:
        return normalize_text(self.summary_lines)


@dataclass
class ParsedTopic(ParsedSection):
    resources: list[ParsedResource] = field(default_factory=list)


@dataclass
class ParsedPart(ParsedSection):
    status: str = "published"
    topics: list[ParsedTopic] = field(default_factory=list)


@dataclass
class ParsedRoadmap:
    title: str = ""
    title_line: int = 1
    introduction_lines: list[str] = field(default_factory=list)
    parts: list[ParsedPart] = field(default_factory=list)

    @property
    def introduction(self) -> str:
        return normalize_text(self.introduction_lines)

    @property
    def resources(self) -> list[ParsedResource]:
        return [r for part in self.parts for topic in part.topics for r in topic.resources]


def guess_kind(title: str, url: str, description: str) -> str:
    """The seed names no kinds; its words do ("this book", "specialization")."""
    text = f"{title} {description}".lower()
    host = urlsplit(url).netloc.lower()
    if "youtube." in host or "youtu.be" in host or re.search(r"\bvideos?\b", text):
        return "video"
    if re.search(r"\b(courses?|specialization|mooc)\b", text) or "coursera." in host:
        return "course"
    if re.search(r"\b(book|textbook|edition)\b", text):
        return "book"
    if "arxiv.org" in host or re.search(r"\bpaper\b", text):
        return "paper"
    if re.search(r"\b(blog|post|article)\b", text):
        return "article"
    return "other"


def normalize_text(lines: list[str]) -> str:
    """Markdown as the page should render it: list items un-indented and set apart from
    paragraphs by blank lines, runs of blank lines folded, ends trimmed."""
    out: list[str] = []
    for raw in lines:
        line = raw.rstrip()
        is_item = bool(LIST_ITEM.match(line))
        if is_item:
            line = line.lstrip()
        if out and line and out[-1] and bool(LIST_ITEM.match(out[-1])) != is_item:
            out.append("")
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def parse_metadata(body: str, source: str, number: int) -> dict[str, str]:
    metadata = {}
    for item in filter(None, (part.strip() for part in body.split(","))):
        key, _, value = (piece.strip().lower() for piece in item.partition(":"))
        allowed = {"kind": KINDS, "level": LEVELS, "cost": COSTS}.get(key)
        if allowed is None or value not in allowed:
            raise RoadmapParseError(source, number, f"unknown resource detail {item!r}")
        metadata[key] = value
    return metadata


def parse_roadmap(text: str, source: str = "<roadmap>") -> ParsedRoadmap:
    """Read the roadmap's Markdown, checked as the models check what they store; any
    error names the source and line, and every problem found is reported."""
    nul = [
        (number, "a NUL character")
        for number, line in enumerate(text.splitlines(), 1)
        if "\x00" in line
    ]
    if nul:  # PostgreSQL stores no NUL in text
        raise RoadmapParseError.of(source, nul)
    doc = ParsedRoadmap()
    part: ParsedPart | None = None
    topic: ParsedTopic | None = None
    resource: ParsedResource | None = None
    after_blank = False
    in_note = False
    urls: dict[str, int] = {}

    def text_lines() -> list[str]:
        """Where a line of running text belongs at this point of the document."""
        if resource is not None:
            return resource.description_lines
        if topic is not None:
            return topic.summary_lines
        if part is not None:
            return part.summary_lines
        return doc.introduction_lines

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped:
            after_blank, in_note = True, False
            text_lines().append("")
            continue
        blank_before, after_blank = after_blank, False
        if in_note or stripped.lower().startswith(("strucure:", "structure:")):
            in_note = True
            continue
        if stripped in {"-- soon --", "-- draft --"}:
            if part is None:
                raise RoadmapParseError(source, number, f"{stripped!r} outside a part")
            part.status = "coming_soon" if stripped == "-- soon --" else "draft"
            continue
        if stripped.startswith("--") or ASIDE.match(stripped):
            continue  # the author's note to self

        if line.startswith("#"):
            level, _, title = line.partition(" ")
            title = unescape(title.strip())
            if level not in {"#", "##", "###"} or not title:
                raise RoadmapParseError(
                    source, number, "a heading must be '# ', '## ' or '### ' and a title"
                )
            resource = None
            if level == "#":
                doc.title, doc.title_line = title, number
            elif level == "##":
                title = PART_HEADING.sub("", title)
                part, topic = ParsedPart(title=title[:1].upper() + title[1:], line=number), None
                doc.parts.append(part)
            else:
                if part is None:
                    raise RoadmapParseError(
                        source, number, "a topic (###) must come after a part (##)"
                    )
                topic = ParsedTopic(title=title, line=number)
                part.topics.append(topic)
            if level != "#" and not slugify(title):
                raise RoadmapParseError(source, number, "the title needs letters or digits")
            continue

        match = RESOURCE_LINE.match(line)
        if match:
            if topic is None:
                raise RoadmapParseError(source, number, "a resource must come after a topic (###)")
            url = match.group("url")
            if urlsplit(url).scheme not in {"http", "https"} or not urlsplit(url).netloc:
                raise RoadmapParseError(source, number, f"not an http(s) URL: {url}")
            if url in urls:
                raise RoadmapParseError(
                    source, number, f"{url} is listed already, on line {urls[url]}"
                )
            urls[url] = number
            resource = ParsedResource(
                title=unescape(match.group("title")).strip(), url=url, line=number
            )
            topic.resources.append(resource)
            continue
        if re.match(r"^[*-] \[", line):
            raise RoadmapParseError(source, number, "a resource line must be '* [Title](URL)'")

        if resource is not None and blank_before and not raw.startswith("  "):
            raise RoadmapParseError(
                source, number, "text after a resource must be indented to belong to it"
            )
        metadata = METADATA.match(stripped) if resource is not None else None
        if metadata:
            resource.metadata.update(parse_metadata(metadata.group("body"), source, number))
        else:
            text_lines().append(line)
    if problems := validate_roadmap(doc):
        raise RoadmapParseError.of(source, problems)
    return doc


def validate_roadmap(doc: ParsedRoadmap) -> list[tuple[int, str]]:
    """Every row the import would write, checked the way the model checks it (lengths,
    choices, URLs: `full_clean`), and slugs unique where the database wants them unique:
    (line, problem) for each, in the file's order."""
    from roadmap.models import Part, Resource, Roadmap, Topic

    problems: list[tuple[int, str]] = []

    def check(instance, line: int, parent: str) -> None:
        try:
            instance.full_clean(
                exclude=[parent, "order", "slug" if parent == "" else "", "work"],
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                label = (
                    instance._meta.get_field(name).verbose_name if name != NON_FIELD_ERRORS else ""
                )
                problems.extend(  # once each: a URL has two validators that say the same
                    (line, f"{label}: {message}" if label else message)
                    for message in dict.fromkeys(messages)
                )

    if doc.title:
        check(Roadmap(title=doc.title, introduction=doc.introduction), doc.title_line, "")
    part_slugs: dict[str, ParsedPart] = {}
    for part in doc.parts:
        check(
            Part(title=part.title, slug=part.slug, summary=part.summary, status=part.status),
            part.line,
            "roadmap",
        )
        if (twin := part_slugs.setdefault(part.slug, part)) is not part:
            problems.append(
                (
                    part.line,
                    f"part “{part.title}” has the same slug ({part.slug}) as “{twin.title}” on line {twin.line}",
                )
            )
        topic_slugs: dict[str, ParsedTopic] = {}
        for topic in part.topics:
            check(
                Topic(title=topic.title, slug=topic.slug, summary=topic.summary), topic.line, "part"
            )
            if (twin := topic_slugs.setdefault(topic.slug, topic)) is not topic:
                problems.append(
                    (
                        topic.line,
                        f"topic “{topic.title}” has the same slug ({topic.slug}) as “{twin.title}” on line {twin.line}, in the same part",
                    )
                )
            for resource in topic.resources:
                check(
                    Resource(
                        title=resource.title,
                        url=resource.url,
                        description=resource.description,
                        kind=resource.kind,
                        **{k: v for k, v in resource.metadata.items() if k != "kind"},
                    ),
                    resource.line,
                    "topic",
                )
    return sorted(problems, key=lambda problem: problem[0])


def escape_title(title: str) -> str:
    return re.sub(r"([\\\[\]])", r"\\\1", title)


def render_roadmap(roadmap, parts) -> str:
    """Write `roadmap` in the format `parse_roadmap` reads. `parts` come with their
    topics and the resources to export prefetched (see `PartQuerySet.for_export`)."""
    out = [f"# {roadmap.title}", ""]
    if roadmap.introduction:
        out += [roadmap.introduction, ""]
    for index, part in enumerate(parts):
        number = NUMBER_WORDS[index] if index < len(NUMBER_WORDS) else str(index + 1)
        out += [f"## Part {number}: {part.title}", ""]
        if part.status != "published":
            out += ["-- soon --" if part.status == "coming_soon" else "-- draft --", ""]
        if part.summary:
            out += [part.summary, ""]
        for topic in part.topics.all():
            out += [f"### {topic.title}", ""]
            if topic.summary:
                out += [topic.summary, ""]
            for resource in topic.resources.all():
                out.append(f"* [{escape_title(resource.title)}]({resource.url})")
                details = [f"kind: {resource.kind}"]
                details += [f"level: {resource.level}"] if resource.level else []
                details += [f"cost: {resource.cost}"] if resource.cost else []
                out.append(f"  <!-- {', '.join(details)} -->")
                for line in resource.description.splitlines():
                    out.append(f"  {line}" if line else "")
                out.append("")
    return "\n".join(out).rstrip() + "\n"


def export_roadmap_markdown(slug: str | None = None) -> str | None:
    """The roadmap `slug` (by default the first) as Markdown, or None when there is none."""
    from roadmap.models import Roadmap

    roadmap = Roadmap.objects.filter(slug=slug).first() if slug else Roadmap.objects.main()
    if roadmap is None:
        return None
    return render_roadmap(roadmap, roadmap.parts.for_export())
