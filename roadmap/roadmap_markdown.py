"""The roadmap as Markdown: any reading list read, the seed's format written.

`parse_roadmap` reads CommonMark through markdown-it-py's token stream and maps the
document's structure onto parts, topics and resources:

- A list item (`*`, `-`, `+`, `1.`, `1)`, at any depth) is a resource when its first
  paragraph links to an http(s) URL: an inline link, a reference link or an autolink,
  else a bare URL. Its title is the link's text as plain text (a bare URL's is its host
  and path); what follows the link (`by Ian Goodfellow`, ` - a note`, further
  paragraphs, a nested list) is its description, its Markdown kept. A plain item with a
  nested list of links groups them: each link is a resource.
- A heading with resources directly under it is a topic. Its part is the nearest heading
  it is nested in that holds none itself, else the outermost of those it is nested in,
  whose own resources are then that part's first topic. How headings nest counts, not
  how many `#` they have: `## C` over `####` topics reads as `## Objective C` over `###`
  ones, and a heading nested in a topic's is a topic of the same part. A topic nested in
  no heading is a part of its own when no heading is shallower and the document has
  other parts (a topic nested in a heading or deeper, a part marked coming soon); else
  it is one of the topics of one part, named after the document's title or "Resources".
  The title is the document's first heading when it is its only `#` heading; text before
  the first other heading is the introduction, text under a heading its summary.
- A part's or topic's slug is the `<!-- slug: ... -->` line under its heading, else its
  title's. Titles that slugify alike among the parts, or among one part's topics ("C",
  "C++"), are numbered in the file's order ("c", "c-2"): the same file, imported again,
  maps to the same rows.
- Nothing is dropped in silence. Every line with a link that is no resource, and every
  heading that holds none, is in `ParsedRoadmap.skipped` with its line and why. Those
  that look meant as resources (`Skipped.meant`: a link that is not http(s), a link
  Markdown cannot read, a URL listed already, an item without a link among resources)
  make `strict` refuse the file. An in-page anchor (a table of contents), an image or
  badge, a link in a heading or in running text are set aside as what they are.
- Kind, level, cost and estimated hours come from the item's
  `<!-- kind: ..., level: ..., cost: ..., hours: ... -->`
  line, else from its topic's or part's name ("Books", "Free courses"), else (the kind
  only) from its own words.

The seed's own format is a case of it:

    # Roadmap title
    Introduction paragraphs.
    ## Part one: Part title         ("Part one:" dropped; without a slug line, capitalized)
    <!-- slug: part-title -->       (optional)
    -- soon --                      (coming soon; `-- draft --` for a draft)
    Part summary.
    ### Topic title
    <!-- slug: topic-title -->      (optional)
    * [Resource title](https://example.com/)
      <!-- kind: book, level: beginner, cost: free -->   (optional)
      Description, indented.

The author's editor notes are not content: other lines starting with `--`, a paragraph
starting with `strucure:` (or `structure:`), and lines that are only a bracketed aside.

`render_roadmap` writes the same, so that its file comes back as it was: each heading
with its slug line, and a heading with a slug line gets no capital added; each
introduction and summary between a `<!-- text -->` line and an `<!-- end text -->` line,
each at the left margin (numbered, `<!-- text 2 -->` and `<!-- end text 2 -->`, for a
text that holds the first's end), which is taken as written, none of it read as
structure, notes or resources (a heading or a list of links in it would otherwise come
back as a part or as resources).
"""

from __future__ import annotations

import re
import textwrap
import time
from bisect import bisect_right
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from urllib.parse import urlsplit

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import validate_slug
from django.utils.text import slugify
from markdown_it import rules_inline
from markdown_it.common.utils import normalizeReference
from markdown_it.rules_inline.state_inline import StateInline
from markdown_it.tree import SyntaxTreeNode

from roadmap.templatetags.markdown import site_markdown

NEWLINE = re.compile(r"\r\n?|\n")  # how markdown-it counts lines
PART_HEADING = re.compile(r"^Part [\w-]+:\s*", re.IGNORECASE)
METADATA = re.compile(r"^\s*<!--(?P<body>.*)-->\s*$")
LIST_ITEM = re.compile(r"^\s*(?:[*+-]|\d{1,9}[.)])(?:[ \t]+|$)")
ASIDE = re.compile(r"^\[[^\]]*\]$")
# A line that is only an HTML anchor (`<a name="python"></a>`), which large lists put
# before each heading for their table of contents: the page makes anchors of its own.
# (Possessive, like BROKEN_LINK below: no two parts can share the same spaces.)
HTML_ANCHOR = re.compile(
    r"""^\s*+<a\s++(?:name|id)\s*+=\s*+(?:"[^"]*+"|'[^']*+'|[^\s"'<>]*+)\s*+>\s*+</a>\s*+$""",
    re.IGNORECASE,
)
BARE_URL = re.compile(r"https?://[^\s<>\[\]]+", re.IGNORECASE)
# A link Markdown could not read: "[text" then "(http..." with or without the "]", or a
# "]" right before "(" or "[". Every pattern the importer runs is linear in its input (a
# curator's upload must not hold a worker): the text runs from the last "[" only, never
# over another "[", and possessively, so no start position scans what another did.
BROKEN_LINK = re.compile(
    r"\[(?:[^\[\]\n(]|\((?!\s*<?https?://))*+\]?\s*+\(\s*<?https?://|\]\s*[(\[]",
    re.IGNORECASE,
)
SEPARATOR = re.compile(r"^\s*(?:[-\u2013\u2014:|,]+(?=\s|$))?\s*")
SEPARATORS = "-\u2013\u2014:|,"
LISTS = {"bullet_list", "ordered_list"}
VERBATIM = {"fence", "code_block"}  # kept as written, editor notes and all
BADGE = "an image or badge, not a resource"
ANCHOR = "an in-page anchor, not a resource"
KINDS = {"book", "course", "video", "article", "paper", "tool", "other"}
LEVELS = {"beginner", "intermediate", "advanced"}
COSTS = {"free", "paid"}
# What a section's name says of what is in it, first match wins: (detail, value, words).
SECTION_WORDS = [
    ("kind", "book", r"e?books?|textbooks?"),
    ("kind", "course", r"courses?|moocs?|specializations?"),
    ("kind", "video", r"videos?|lectures?|talks?|screencasts?"),
    ("kind", "paper", r"papers?|publications?"),
    ("kind", "tool", r"tools?|frameworks?|librar(?:y|ies)|software"),
    ("kind", "article", r"articles?|blogs?|blog posts?|posts?|tutorials?"),
    ("kind", "other", r"datasets?|data sets?"),
    ("level", "beginner", r"beginners?"),
    ("level", "intermediate", r"intermediate"),
    ("level", "advanced", r"advanced"),
    ("cost", "free", r"free"),
    ("cost", "paid", r"paid|commercial"),
]


class RoadmapParseError(ValueError):
    """What in a roadmap's Markdown cannot be imported: one problem or several, each
    named by its source and line (`problems`, one "source:line: message" each)."""

    def __init__(self, source: str, line: int, message: str, *more: tuple[int, str]) -> None:
        self.problems = [f"{source}:{number}: {text}" for number, text in [(line, message), *more]]
        super().__init__("\n".join(self.problems))

    @classmethod
    def of(cls, source: str, problems: list[tuple[int, str]]) -> RoadmapParseError:
        return cls(source, *problems[0], *problems[1:])


@dataclass(frozen=True)
class Skipped:
    """A line the import leaves out, and why; `meant` when it looks meant as a resource
    (what `strict` refuses)."""

    line: int
    reason: str
    meant: bool = False


@dataclass
class ParsedResource:
    title: str
    url: str
    line: int
    description: str = ""
    details: dict[str, str | Decimal] = field(default_factory=dict)  # written on the item
    inferred: dict[str, str] = field(default_factory=dict)  # said by its section's name

    @property
    def kind(self) -> str:
        return (
            self.details.get("kind")
            or self.inferred.get("kind")
            or guess_kind(self.title, self.url, self.description)
        )

    @property
    def level(self) -> str:
        return self.details.get("level") or self.inferred.get("level", "")

    @property
    def cost(self) -> str:
        return self.details.get("cost") or self.inferred.get("cost", "")


@dataclass
class ParsedSection:
    """A part or a topic: a heading's title and the text under it; its slug, unique among
    its siblings, is set once they are all read (see `assign_slugs`)."""

    title: str
    line: int
    summary_lines: list[str] = field(default_factory=list)
    slug: str = ""
    summary_written: str | None = None  # as written between `<!-- text -->` lines

    @property
    def summary(self) -> str:
        if self.summary_written is not None:
            return self.summary_written
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
    source: str = "<roadmap>"
    skipped: list[Skipped] = field(default_factory=list)
    introduction_written: str | None = None  # as written between `<!-- text -->` lines

    @property
    def introduction(self) -> str:
        if self.introduction_written is not None:
            return self.introduction_written
        return normalize_text(self.introduction_lines)

    @property
    def resources(self) -> list[ParsedResource]:
        return [r for part in self.parts for topic in part.topics for r in topic.resources]

    def skipped_lines(self) -> list[str]:
        """The report's lines for what was left out, "source:line: why", in the file's order."""
        return [f"{self.source}:{s.line}: {s.reason}" for s in self.skipped]

    def counts(self) -> str:
        meant = sum(s.meant for s in self.skipped)
        topics = sum(len(part.topics) for part in self.parts)
        return (
            f"Read {self.source}: {len(self.parts)} parts, {topics} topics, "
            f"{len(self.resources)} resources; {meant} lines that look meant as resources "
            f"skipped, {len(self.skipped) - meant} other lines and headings set aside."
        )


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


def section_details(name: str) -> dict[str, str]:
    """Kind, level and cost a section's name gives what is listed in it."""
    details: dict[str, str] = {}
    for detail, value, words in SECTION_WORDS:
        if detail not in details and re.search(rf"\b(?:{words})\b", name, re.IGNORECASE):
            details[detail] = value
    return details


class Verbatim(str):
    """A line of a code block: kept as it is written."""


def without_trailing_space(line: str) -> str:
    """`line` without the spaces that end it, but for two ending a line of words:
    Markdown's line break ("By Jane Doe␣␣")."""
    stripped = line.rstrip()
    return f"{stripped}  " if stripped and line[len(stripped) :].startswith("  ") else stripped


def normalize_text(lines: list[str]) -> str:
    """Markdown as the page should render it: list items un-indented and set apart from
    paragraphs by blank lines, runs of blank lines folded, ends trimmed; a code block's
    lines as they are."""
    out: list[str] = []
    for raw in lines:
        if isinstance(raw, Verbatim):
            out.append(raw)
            continue
        line = without_trailing_space(raw)
        is_item = bool(LIST_ITEM.match(line))
        if is_item:
            line = line.lstrip()
        if out and line and out[-1] and bool(LIST_ITEM.match(out[-1])) != is_item:
            out.append("")
        if line or (out and out[-1]):
            out.append(line)
    while out and not out[-1]:
        out.pop()
    while out and not out[0]:
        out.pop(0)
    if out and not isinstance(out[-1], Verbatim):
        out[-1] = out[-1].rstrip()
    return "\n".join(out)


def is_editor_note(line: str, references: dict) -> bool:
    """The author's note to self (`-- ...`, `[or maybe ...]`), not a reference link alone
    on its line (`[Deep Learning Book]`, its label defined in the file)."""
    stripped = line.strip()
    if stripped.startswith("--"):
        return True
    return bool(ASIDE.match(stripped)) and normalizeReference(stripped[1:-1]) not in references


def parse_metadata(body: str) -> dict[str, str | Decimal] | None:
    """What a `<!-- kind: ..., level: ..., cost: ..., hours: ... -->` comment says of its
    resource, or None for a comment that names none of them (an ordinary one, kept as
    text). Hours are a curator's estimate: a number from 0.1 to 9999.9."""
    allowed = {"kind": KINDS, "level": LEVELS, "cost": COSTS, "hours": ()}
    items = [item.strip() for item in body.split(",") if item.strip()]
    if not any(item.partition(":")[0].strip().lower() in allowed for item in items):
        return None
    metadata: dict[str, str | Decimal] = {}
    for item in items:
        key, _, value = (piece.strip().lower() for piece in item.partition(":"))
        if key == "hours":
            metadata[key] = estimated_hours(value, item)
        elif key not in allowed or value not in allowed[key]:
            raise ValueError(f"unknown resource detail {item!r}")
        else:
            metadata[key] = value
    return metadata


def parse_slug(body: str) -> str | None:
    """The slug a `<!-- slug: ... -->` line under a heading gives its part or topic, or
    None for any other comment (kept as text). The export writes it, so a title renamed
    in admin keeps its row through an export and an import instead of leaving an empty
    twin behind."""
    key, colon, value = (piece.strip() for piece in body.partition(":"))
    if not colon or key.lower() != "slug":
        return None
    try:
        validate_slug(value)
    except ValidationError:
        raise ValueError(
            f"“{value}” is not a slug: letters, digits, hyphens and underscores only"
        ) from None
    if len(value) > 100:
        raise ValueError(f"“{value[:20]}…” is not a slug: at most 100 characters")
    return value


def assign_slugs(sections: list[ParsedSection]) -> None:
    """Give each of `sections` (one roadmap's parts, or one part's topics) that has none
    its title's slug, numbered past the slugs already taken ("c", "c-2"), in the file's
    order: a list's repeated or alike headings import, and again into the same rows."""
    taken = {section.slug for section in sections if section.slug}
    for section in sections:
        base = slugify(section.title)[:100]
        if section.slug or not base:  # given, or refused for its title (see `structure`)
            continue
        slug, number = base, 1
        while slug in taken:
            number += 1
            slug = f"{base[: 100 - len(str(number)) - 1]}-{number}"
        taken.add(slug)
        section.slug = slug


def estimated_hours(value: str, item: str) -> Decimal:
    try:
        hours = Decimal(value).quantize(Decimal("0.1"))
    except InvalidOperation:  # not a number, or too large to round
        hours = None
    if hours is None or not hours.is_finite() or not Decimal("0.1") <= hours < 10_000:
        raise ValueError(f"{item!r}: hours are a number, like 6 or 1.5")
    return hours


def details_line(line: str) -> bool:
    """Whether `line` is a resource's details comment (not kept in its description)."""
    match = METADATA.match(line)
    try:
        return match is not None and parse_metadata(match.group("body")) is not None
    except ValueError:
        return True  # reported as the problem it is


def _with_span(rule: Callable[[StateInline, bool], bool]) -> Callable[[StateInline, bool], bool]:
    """markdown-it's own inline rule, also noting on the link it opens where the link
    starts and ends in the paragraph's source (`meta["span"]`): a resource's
    description is the source after its link, Markdown kept."""

    def rule_with_span(state: StateInline, silent: bool) -> bool:
        start, count = state.pos, len(state.tokens)
        if not rule(state, silent):
            return False
        if not silent:
            opened = next(t for t in state.tokens[count:] if t.type == "link_open")
            opened.meta["span"] = (start, state.pos)
        return True

    return rule_with_span


# When the reading in this thread must stop (time.monotonic()), if ever: see `parse_roadmap`.
_deadline: ContextVar[float | None] = ContextVar("deadline", default=None)


class _TookTooLong(Exception):
    pass


def _in_time(*_state) -> bool:
    """Stops the reading once its time is up: called as each block and list item is read
    and each row checked, and as a markdown-it rule that matches nothing, tried first at
    every place markdown-it reads a block or an inline token. Everything here is linear,
    but markdown-it takes about 10 µs a character on some shapes (a megabyte of "["), so
    an upload through admin is read within a time limit, not for as long as it takes."""
    deadline = _deadline.get()
    if deadline is not None and time.monotonic() > deadline:
        raise _TookTooLong
    return False


_reader = site_markdown()  # (as pages render it)
# Links are read as written and judged by `link_kind`; they are never rendered from here.
_reader.validateLink = lambda url: True
_reader.normalizeLink = lambda url: url
_reader.normalizeLinkText = lambda text: text
_reader.inline.ruler.at("link", _with_span(rules_inline.link))
_reader.inline.ruler.at("autolink", _with_span(rules_inline.autolink))
_reader.inline.ruler.before(_reader.inline.ruler.get_all_rules()[0], "in_time", _in_time)
_reader.block.ruler.before(_reader.block.ruler.get_all_rules()[0], "in_time", _in_time)


def plain_text(node: SyntaxTreeNode) -> str:
    """A heading's or a link's text: emphasis and code as plain text, images left out."""
    out = []
    for child in node.children:
        if child.type in {"text", "code_inline"}:
            out.append(child.content)
        elif child.type in {"softbreak", "hardbreak"}:
            out.append(" ")
        elif child.type != "image":
            out.append(plain_text(child))
    return "".join(out).strip()


def links_in(node: SyntaxTreeNode) -> Iterator[SyntaxTreeNode]:
    for child in node.children:
        if child.type == "link":
            yield child
        elif child.type != "image":
            yield from links_in(child)


def is_web(url: str) -> bool:
    """An http(s) URL with a host, that the URL parser can read."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in {"http", "https"} and bool(parts.netloc)


def link_kind(node: SyntaxTreeNode) -> str:
    """ "web" (http or https), "anchor" (in the page), "badge" (an image) or "other"."""
    href = str(node.attrs.get("href", ""))
    if not plain_text(node) and any(child.type == "image" for child in node.walk()):
        return "badge"
    if href.startswith("#"):
        return "anchor"
    return "web" if is_web(href) else "other"


def host_and_path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.netloc}{parts.path.rstrip('/')}"


def bare_url(text: str) -> re.Match | None:
    """The first URL written as it is, its trailing punctuation (and a closing
    parenthesis it does not open) left to the sentence."""
    match = BARE_URL.search(text)
    if match is None:
        return None
    url = match.group()
    end, unopened = len(url), url.count(")") - url.count("(")
    while end and (url[end - 1] in ".,;:!?'\"*_" or (url[end - 1] == ")" and unopened > 0)):
        if url[end - 1] == ")":
            unopened -= 1
        end -= 1
    return BARE_URL.match(text, match.start(), match.start() + end)


def trailing_comment(line: str) -> str | None:
    """The body of the `<!-- ... -->` comment that ends `line` (one without ">" in it),
    or None: found from the end, once, where a pattern searched from every "<!--"."""
    text = line.rstrip()
    if not text.endswith("-->"):
        return None
    end = len(text) - 3
    opening = text.find("<!--", text.rfind(">", 0, end) + 1, end)
    return None if opening == -1 else text[opening + 4 : end]


@dataclass(eq=False)
class _Section:
    """What is under one heading (or before the first), in the file's order, and the
    heading it is nested in (`parent`, set by `_Reader.structure`)."""

    level: int
    title: str
    line: int
    text: list[str] = field(default_factory=list)
    resources: list[ParsedResource] = field(default_factory=list)
    status: str = ""
    status_line: int = 0
    slug: str = ""
    parent: _Section | None = None
    written: str | None = None  # its text between `<!-- text -->` lines, as written


@dataclass
class _Item:
    """A list item, read: "resource", "refused" (meant as one, not one: `reason`),
    "anchor", "badge" or "plain"; a plain item over a list of links (`children`) groups
    them under its `words`."""

    kind: str
    line: int
    resource: ParsedResource | None = None
    reason: str = ""
    words: str = ""
    children: list[_Item] = field(default_factory=list)

    @property
    def lists_resources(self) -> bool:
        return self.kind in {"resource", "refused"} or any(c.lists_resources for c in self.children)

    @property
    def anchors_only(self) -> bool:
        return self.kind == "anchor" and all(c.anchors_only for c in self.children)


# A reference link's label (`[label]`, `[words][label]`), and a line that defines one.
REFERENCE = re.compile(r"\[([^\[\]]+)\]")
DEFINED = re.compile(r"^ {0,3}\[([^\[\]]+)\]:", re.MULTILINE)


def link_definition(label: str, reference: dict) -> str:
    """`[label]: <href> "title"`, as markdown-it reads it back ("" for an address
    no definition can hold)."""
    href, title = reference["href"], reference.get("title") or ""
    if not any(c in href for c in "<>\n"):
        destination = f"<{href}>"
    elif not any(c.isspace() or c in "()" for c in href):
        destination = href
    else:
        return ""
    if title:
        escaped = title.replace("\\", "\\\\").replace('"', '\\"')
        return f'[{label}]: {destination} "{escaped}"'
    return f"[{label}]: {destination}"


IN_TEXT = "a link in running text: kept in the text, not a resource"


# A file whose definitions, copied into each text that uses them, would come to more than
# four times the file and a megabyte is refused: 900 long definitions, each used by
# every item of a 1 MB file, made 40 MB of descriptions.
MOST_COPIED_TIMES, MOST_COPIED = 4, 1_000_000


class _Reader:
    """One pass over the document's blocks, then its structure (see the module's doc)."""

    def __init__(
        self, lines: list[str], source: str, written: dict[int, str], references: dict
    ) -> None:
        self.lines, self.source = lines, source
        self.written = written  # texts as written, by the line of their `<!-- text -->`
        self.references = references  # the file's link definitions, by normalized label
        self.skipped: list[Skipped] = []
        self.problems: list[tuple[int, str]] = []
        self.urls: dict[str, int] = {}  # url_key: the line that lists it
        self.copied = 0  # characters of definitions copied (`keep_references`)
        self.most_copied = 0

    def skip(self, line: int, reason: str, *, meant: bool = False) -> None:
        self.skipped.append(Skipped(line, reason, meant))

    def read(self, root: SyntaxTreeNode) -> ParsedRoadmap:
        doc = ParsedRoadmap(source=self.source)
        headings = [block for block in root.children if block.type == "heading"]
        firsts = [h for h in headings if h.tag == "h1"]
        title = headings[0] if headings and headings[0].tag == "h1" and len(firsts) == 1 else None
        sections = [_Section(level=0, title="", line=1)]
        after = 0  # the first source line not yet read
        for block in root.children:
            _in_time()
            start, end = block.map
            if block.type == "heading":
                self.links_set_aside(block, "a link in a heading, not a resource")
                if block is title:
                    doc.title, doc.title_line = plain_text(block.children[0]), start + 1
                else:
                    level = int(block.tag[1])
                    sections.append(_Section(level, plain_text(block.children[0]), start + 1))
            else:
                section = sections[-1]
                if any(not line.strip() for line in self.lines[after:start]) and section.text:
                    section.text.append("")
                self.block(block, section)
            after = end
        starts = [section.line for section in sections]  # (in the file's order)
        for line, text in self.written.items():  # each the text of the heading above it
            _in_time()
            section = sections[bisect_right(starts, line) - 1]
            if section.written is not None or normalize_text(section.text):
                self.problems.append(
                    (line, "text both inside and outside `<!-- text -->` lines: which is meant?")
                )
            section.written = text
        self.structure(doc, sections)
        self.keep_references(doc)
        doc.skipped = sorted(self.skipped, key=lambda skipped: skipped.line)
        return doc

    def keep_references(self, doc: ParsedRoadmap) -> None:
        """Each text taken from the file's lines (an introduction, a summary, a
        description) gets the definitions of the reference links it uses (`[words][label]`,
        `[label]`): markdown-it takes every definition out of what it reads, wherever it
        stands, so the text would keep its links' words and lose where they go."""
        if not self.references:
            return
        self.copied, size = 0, sum(map(len, self.lines))
        self.most_copied = max(MOST_COPIED_TIMES * size, MOST_COPIED)
        doc.introduction_lines = self.with_references(doc.introduction_lines)
        for part in doc.parts:
            part.summary_lines = self.with_references(part.summary_lines)
            for topic in part.topics:
                topic.summary_lines = self.with_references(topic.summary_lines)
        for resource in doc.resources:
            resource.description = "\n".join(self.with_references([resource.description]))
        if self.copied > self.most_copied:
            self.problems.append(
                (
                    1,
                    "its reference links' definitions, copied into each text that uses them,"
                    f" would come to more than {self.most_copied:,} characters (four times the"
                    " file, or a megabyte): write the links where they are used",
                )
            )

    def with_references(self, lines: list[str]) -> list[str]:
        if self.copied > self.most_copied:  # (refused: no more copies made to say so)
            return lines
        text = "\n".join(lines)
        defined = {normalizeReference(label) for label in DEFINED.findall(text)}
        wanted: dict[str, str] = {}  # each label the text uses, as it first spells it
        for label in REFERENCE.findall(text):
            key = normalizeReference(label)
            if key in self.references and key not in defined:
                wanted.setdefault(key, label)
        definitions = [
            definition
            for key, label in wanted.items()
            if (definition := link_definition(label, self.references[key]))
        ]
        self.copied += sum(map(len, definitions))
        return [*lines, "", *definitions] if definitions else lines

    def links_set_aside(
        self, block: SyntaxTreeNode, reason: str, *, but: SyntaxTreeNode | None = None
    ) -> None:
        """Report every link in `block` (but `but`) as left out, a web link for `reason`."""
        for node in block.walk():
            if node.type == "inline":
                for found in links_in(node):
                    if found is not but:
                        before = node.content[: found.meta["span"][0]]
                        line = (node.map or block.map)[0] + 1 + before.count("\n")
                        kind = link_kind(found)
                        self.skip(line, {"badge": BADGE, "anchor": ANCHOR}.get(kind, reason))

    def block(self, block: SyntaxTreeNode, section: _Section) -> None:
        if block.type in LISTS:
            items = [self.item(node) for node in block.children]
            if any(item.lists_resources for item in items):
                self.take(items, section)
                return
            if all(item.anchors_only for item in items):
                for node in block.walk():
                    if node.type == "list_item":
                        self.skip(node.map[0] + 1, f"{ANCHOR} (a table of contents)")
                return
        self.text(block, section)

    def text(self, block: SyntaxTreeNode, section: _Section) -> None:
        """A block of running text, as written, for the section's summary."""
        start, end = block.map
        if self.lines[start].strip().lower().startswith(("strucure:", "structure:")):
            return
        verbatim = {n for node in block.walk() if node.type in VERBATIM for n in range(*node.map)}
        for number, line in enumerate(self.lines[start:end], start=start):
            if number in verbatim:
                section.text.append(Verbatim(line.rstrip()))
            elif line.strip() in {"-- soon --", "-- draft --"}:
                section.status = "coming_soon" if line.strip() == "-- soon --" else "draft"
                section.status_line = number + 1
            elif HTML_ANCHOR.match(line):
                self.skip(number + 1, "an HTML anchor: set aside (the page makes its own)")
            elif (
                # (A table's `--- | ---` row and a `---` rule are the text's own.)
                block.type == "hr"
                or (block.type == "table" and number == start + 1)
                or not is_editor_note(line, self.references)
            ) and not self.slug_line(line, number + 1, section):
                section.text.append(without_trailing_space(line))
        self.links_set_aside(block, IN_TEXT)

    def slug_line(self, line: str, number: int, section: _Section) -> bool:
        """Whether `line` is a `<!-- slug: ... -->` line, which gives `section` its slug."""
        comment = METADATA.match(line)
        try:
            slug = parse_slug(comment["body"]) if comment else None
        except ValueError as error:
            self.problems.append((number, str(error)))
            return True
        if slug is None:
            return False
        if not section.level:
            self.problems.append((number, "a slug before the first heading: it names none"))
        elif section.slug:
            self.problems.append((number, f"a second slug for “{section.title}”"))
        section.slug = section.slug or slug
        return True

    def item(self, node: SyntaxTreeNode) -> _Item:
        """What a list item is (see `_Item`); a resource's nested lists are its
        description, any other item's are read as items of their own (`children`)."""
        _in_time()
        line = node.map[0] + 1
        first = node.children[0] if node.children and node.children[0].type == "paragraph" else None
        inline = first.children[0] if first is not None else SyntaxTreeNode()
        found = list(links_in(inline))
        kinds = [link_kind(each) for each in found]
        words = plain_text(inline)  # no images, no code
        if "web" in kinds:
            web = found[kinds.index("web")]
            start, end = web.meta["span"]
            url, title = str(web.attrs["href"]), plain_text(web)
            head = self.around(web, inline.content[:start], inline.content[end:])
            title = host_and_path(url) if not title or web.markup == "autolink" else title
            return _Item("resource", line, self.resource(node, first, title, url, head, web))
        broken = BROKEN_LINK.search(words) is not None
        url = bare_url(words) if not found and not broken else None
        if url is not None and url.group() in inline.content and is_web(url.group()):
            before, _, after = inline.content.partition(url.group())
            title, head = host_and_path(url.group()), join_text(before, after)
            return _Item("resource", line, self.resource(node, first, title, url.group(), head))
        children = [
            self.item(child)
            for block in node.children
            if block.type in LISTS
            for child in block.children
        ]
        if "other" in kinds:
            href = found[kinds.index("other")].attrs["href"]
            return _Item("refused", line, reason=f"not an http(s) URL: {href}", children=children)
        if broken:
            reason = (
                "a link Markdown cannot read: look for a missing bracket, parenthesis or reference"
            )
            return _Item("refused", line, reason=reason, children=children)
        if url is not None:
            return _Item("refused", line, reason=f"not a URL: {url.group()}", children=children)
        if "anchor" in kinds:
            return _Item("anchor", line, children=children)
        if "badge" in kinds or (not words and any(c.type == "image" for c in inline.walk())):
            return _Item("badge", line, children=children)
        return _Item("plain", line, words=words, children=children)

    @staticmethod
    def around(target: SyntaxTreeNode, before: str, after: str) -> str:
        """The item's text around its link, without the emphasis wrapped round the link
        (and round its note with it: "**[Name](url) - the best one**", whose closing
        markup, left alone, showed on the page)."""
        node = target
        while node.parent is not None and node.parent.type in {"em", "strong", "s"}:
            markup, children = node.parent.markup, node.parent.children
            first, last = node is children[0], node is children[-1]
            if first and before.endswith(markup):
                before = before[: -len(markup)]
                if not last and after.rstrip().endswith(markup) and _edge(node.parent, -1):
                    after = after.rstrip()[: -len(markup)]
            if last and after.startswith(markup):
                after = after[len(markup) :]
                if not first and before.lstrip().startswith(markup) and _edge(node.parent, 0):
                    before = before.lstrip()[len(markup) :]
            node = node.parent
        return join_text(before, after)

    def resource(
        self,
        node: SyntaxTreeNode,
        first: SyntaxTreeNode,
        title: str,
        url: str,
        head: str,
        link: SyntaxTreeNode | None = None,
    ) -> ParsedResource:
        """The resource an item lists: its description is the text after the link and the
        rest of the item, un-indented, with its other links (reported as kept there); a
        `<!-- ... -->` line gives its details."""
        start, end = node.map
        reason = f"a link in the description of the resource on line {start + 1}: kept there"
        self.links_set_aside(node, reason, but=link)
        marker = LIST_ITEM.match(self.lines[start].expandtabs(4))
        indent = marker.end() if marker else 0
        rest = [unindent(line, indent) for line in self.lines[first.map[1] : end]]
        head = "\n".join(line for line in head.split("\n") if not details_line(line))
        if not head.strip():  # the description starts below the link: un-indented whole
            rest = textwrap.dedent("\n".join(rest)).split("\n")
        details: dict[str, str] = {}
        for number in range(start, end):  # the item's own line may end with its details
            line = self.lines[number]
            comment = METADATA.match(line)
            body = trailing_comment(line) if number == start else comment and comment["body"]
            if body is not None:
                try:
                    found = parse_metadata(body)
                except ValueError as error:
                    self.problems.append((number + 1, str(error)))
                    continue
                details |= found or {}
                if found is not None and number == start:  # details, not its note's words
                    head = head.replace(f"<!--{body}-->", "", 1)
        # A line break right after the link (`[C](url)\`) opens no line of the text.
        head = re.sub(r"^\s*\\(?:\n|$)", "", head)
        kept = [
            without_trailing_space(line)
            for line in "\n".join([head, *rest]).split("\n")
            if not details_line(line)
        ]
        description = "\n".join(kept).strip()
        return ParsedResource(
            title=title, url=url, line=start + 1, description=description, details=details
        )

    def take(self, items: list[_Item], section: _Section) -> None:
        """The items of a list of resources, in order: each URL once, where it first
        appears; every other item reported with why."""
        from roadmap.models import url_key

        for item in items:
            groups = any(child.lists_resources for child in item.children)
            if item.kind == "resource":
                key = url_key(item.resource.url)
                if key in self.urls:
                    reason = f"the same URL as line {self.urls[key]}: listed there"
                    self.skip(item.line, reason, meant=True)
                else:
                    self.urls[key] = item.line
                    section.resources.append(item.resource)
            elif item.kind == "refused":
                self.skip(item.line, item.reason, meant=True)
            elif item.kind == "anchor":
                self.skip(item.line, ANCHOR)
            elif item.kind == "badge":
                self.skip(item.line, BADGE)
            elif groups and item.words:
                self.skip(item.line, "an item over a list of links: its own text is not kept")
            elif not groups:
                self.skip(item.line, "an item without a link, in a list of resources", meant=True)
            self.take(item.children, section)

    def structure(self, doc: ParsedRoadmap, sections: list[_Section]) -> None:
        """Parts and topics from how the headings nest (see the module's doc)."""
        preamble, headed = sections[0], sections[1:]
        doc.introduction_lines, doc.introduction_written = preamble.text, preamble.written
        enclosing: list[_Section] = []
        for section in headed:
            while enclosing and enclosing[-1].level >= section.level:
                enclosing.pop()
            section.parent = enclosing[-1] if enclosing else None
            enclosing.append(section)
        topics = [section for section in headed if section.resources]
        # Only a part is marked coming soon or draft, and it may have no topics yet.
        marked = [section for section in headed if section.status and not section.resources]
        shallowest = min((section.level for section in headed), default=0)
        has_parts = bool(marked) or any(t.parent or t.level > shallowest for t in topics)
        chosen = set(marked) | {
            part_of(topic)
            for topic in topics
            if has_parts and (topic.parent or topic.level == shallowest)
        }
        parts: dict[_Section, ParsedPart] = {}
        whole: list[ParsedPart] = []  # the one part of a document with no heading for parts

        def part_of_the_whole() -> ParsedPart:
            if not whole:
                whole.append(ParsedPart(title=doc.title or "Resources", line=doc.title_line))
                doc.parts.insert(0, whole[0])
            return whole[0]

        if preamble.status:
            marker = "-- soon --" if preamble.status == "coming_soon" else "-- draft --"
            self.problems.append((preamble.status_line, f"{marker!r} outside a part"))
        if preamble.resources:
            part = part_of_the_whole()
            part.topics.append(
                ParsedTopic(title=part.title, line=part.line, resources=preamble.resources)
            )
        ends = {section: after.line for section, after in pairwise(headed)}
        skipped_headings: list[_Section] = []
        for section in headed:
            if section in chosen:
                # "Part one:" is dropped. The draft's "pre-requisites" then reads
                # "Pre-requisites"; a heading with a slug line (the export's) is as written.
                title = PART_HEADING.sub("", section.title)
                if not section.slug and title.split(" ", 1)[0].islower():
                    title = title[:1].upper() + title[1:]
                part = ParsedPart(
                    title=title,
                    line=section.line,
                    summary_lines=section.text,
                    summary_written=section.written,
                    slug=section.slug,
                    status=section.status or "published",
                )
                parts[section] = part
                doc.parts.append(part)
                if section.resources:
                    part.topics.append(
                        ParsedTopic(
                            title, section.line, slug=section.slug, resources=section.resources
                        )
                    )
                continue
            if section.status:
                self.problems.append(
                    (section.status_line, f"“{section.title}” is not a part: it cannot be marked")
                )
            if section.resources:
                (parts.get(part_of(section)) or part_of_the_whole()).topics.append(
                    ParsedTopic(
                        section.title,
                        section.line,
                        summary_lines=section.text,
                        slug=section.slug,
                        summary_written=section.written,
                        resources=section.resources,
                    )
                )
            else:
                self.skip_heading(section)
                skipped_headings.append(section)
        self.not_kept(skipped_headings, ends)
        assign_slugs(doc.parts)
        for part in doc.parts:
            assign_slugs(part.topics)
            for topic in part.topics:
                inferred = section_details(part.title) | section_details(topic.title)
                for resource in topic.resources:
                    resource.inferred = inferred
            for section in [part, *part.topics]:
                if not section.slug:
                    self.problems.append((section.line, "the title needs letters or digits"))

    def skip_heading(self, section: _Section) -> None:
        text = ", nor the text under it" if section.written or normalize_text(section.text) else ""
        self.skip(section.line, f"heading “{section.title}” holds no resources: not created{text}")

    def not_kept(self, skipped_headings: list[_Section], ends: dict) -> None:
        """What the report said of the links in the text of headings not created ("kept
        in the text"), said again as it is: each up to the next heading (`ends`)."""
        starts = [section.line for section in skipped_headings]  # (in the file's order)
        for n, skipped in enumerate(self.skipped):
            if skipped.reason != IN_TEXT:
                continue
            at = bisect_right(starts, skipped.line - 1) - 1  # the last heading above it
            if at < 0 or skipped.line >= ends.get(skipped_headings[at], skipped.line + 1):
                continue
            said = f"a link in the text of “{skipped_headings[at].title}”, not created: not kept"
            self.skipped[n] = replace(skipped, reason=said)


def _edge(node: SyntaxTreeNode, end: int) -> bool:
    """Whether nothing but blank text stands between `node` and the item's first line's
    start (`end` 0) or end (-1), at every level up to the inline."""
    while node.parent is not None and node.type != "inline":
        siblings = node.parent.children
        at = siblings.index(node)
        others = siblings[at + 1 :] if end == -1 else siblings[:at]
        if any(n.type != "text" or n.content.strip() for n in others):
            return False
        node = node.parent
    return True


def ancestors(section: _Section) -> Iterator[_Section]:
    while section.parent is not None:
        section = section.parent
        yield section


def part_of(topic: _Section) -> _Section:
    """The heading that is a topic's part: the nearest it is nested in that holds no
    resources, else the outermost it is nested in (itself, when nested in none)."""
    outermost = topic
    for section in ancestors(topic):
        if not section.resources:
            return section
        outermost = section
    return outermost


def unindent(line: str, indent: int) -> str:
    """`line` less up to `indent` columns of its indentation (a tab counts to the next
    multiple of 4, as in CommonMark); the rest of it as written."""
    column = position = 0
    while position < len(line) and line[position] in " \t" and column < indent:
        column = column + 4 - column % 4 if line[position] == "\t" else column + 1
        position += 1
    return " " * max(0, column - indent) + line[position:]


def join_text(before: str, after: str) -> str:
    """What an item says besides its link: the text before it, when that has words, and
    the text after it, without the separator that usually opens it (` - `, `: `). Where
    the link stood between two separators ("He et al. 2015 - <link> - ResNet"), one is
    kept; before closing punctuation, none ("The book: <link>.")."""
    before = before.strip()
    if not re.search(r"\w", before):
        return SEPARATOR.sub("", after, count=1)
    if before[-1] not in SEPARATORS:
        return f"{before} {after.lstrip()}".strip()
    after = SEPARATOR.sub("", after, count=1)
    if not after or after[0] in ".;!?)":
        return f"{before.rstrip(SEPARATORS + ' ')}{after}"
    return f"{before} {after}"


def parse_roadmap(
    text: str, source: str = "<roadmap>", *, strict: bool = False, seconds: float | None = None
) -> ParsedRoadmap:
    """Read a roadmap's Markdown (see the module's doc), checked as the models check what
    they store. Any error names the source and line, every problem found is reported,
    and with `strict` so is every line that looks meant as a resource and is none. With
    `seconds`, a file not read and checked by then is refused (admin's limit)."""
    limit = _deadline.set(time.monotonic() + seconds if seconds is not None else None)
    try:
        return _parse(text, source, strict)
    except _TookTooLong:
        raise RoadmapParseError(
            source,
            1,
            f"not read within {seconds:g} seconds: split the file, or import it with"
            " manage.py import_roadmap, which takes as long as it needs",
        ) from None
    finally:
        _deadline.reset(limit)


def _parse(text: str, source: str, strict: bool) -> ParsedRoadmap:
    text = text.removeprefix("\ufeff")  # a byte order mark is no part of the first line
    lines = NEWLINE.split(text)
    nul = [(number, "a NUL character") for number, line in enumerate(lines, 1) if "\x00" in line]
    if nul:  # PostgreSQL stores no NUL in text
        raise RoadmapParseError.of(source, nul)
    lines, written = texts_as_written(lines)
    env: dict = {}  # (markdown-it's: the file's reference definitions, by label)
    tokens = _reader.parse("\n".join(lines), env)
    deepest = _reader.options["maxNesting"] - 1  # markdown-it reads no deeper, and drops the rest
    too_deep = next((i for i, token in enumerate(tokens) if token.level >= deepest), None)
    if too_deep is not None:
        line = next(t.map[0] + 1 for t in reversed(tokens[: too_deep + 1]) if t.map)
        raise RoadmapParseError(source, line, "lists or quotes nested too deep to read on")
    reader = _Reader(lines, source, written, env.get("references", {}))
    doc = reader.read(SyntaxTreeNode(tokens))
    problems = reader.problems + validate_roadmap(doc)
    if strict:
        problems += [(s.line, f"skipped: {s.reason}") for s in doc.skipped if s.meant]
    if problems:
        raise RoadmapParseError.of(source, sorted(problems, key=lambda problem: problem[0]))
    return doc


# A text taken as written: `<!-- text -->` ... `<!-- end text -->`, or numbered
# (`<!-- text 2 -->` ... `<!-- end text 2 -->`) for a text that holds the first's end.
TEXT_OPENS = re.compile(r"<!-- text(?: (?P<n>[0-9]+))? -->")


def text_ends(n: str | None) -> str:
    return f"<!-- end text {n} -->" if n else "<!-- end text -->"


def texts_as_written(lines: list[str]) -> tuple[list[str], dict[int, str]]:
    """The lines Markdown is to read, each text between a `<!-- text -->` line and its
    `<!-- end text -->` line taken out (blank lines in its place, so that every line
    keeps its number); and those texts, by the line number of their `<!-- text -->`.
    Markers are lines of their own at the left margin (one indented, in a description or
    a list, is text); an opening without its end after it is text too."""
    read, written = list(lines), {}
    if not any(line.startswith("<!-- text") for line in lines):
        return read, written
    ends: dict[str, list[int]] = {}  # each end's lines, in order
    for number, line in enumerate(lines):
        ends.setdefault(line.rstrip(), []).append(number)
    number = 0
    while number < len(lines):
        opens = TEXT_OPENS.fullmatch(lines[number].rstrip())
        found = ends.get(text_ends(opens["n"]), []) if opens else []
        at = bisect_right(found, number)
        if at < len(found):  # its end, the first after it
            closing = found[at]
            written[number + 1] = "\n".join(lines[number + 1 : closing]).strip("\n")
            read[number : closing + 1] = [""] * (closing + 1 - number)
            number = closing
        number += 1
    return read, written


def validate_roadmap(doc: ParsedRoadmap) -> list[tuple[int, str]]:
    """Every row the import would write, checked the way the model checks it (lengths,
    choices, URLs: `full_clean`), and slugs unique where the database wants them unique:
    (line, problem) for each, in the file's order."""
    from roadmap.models import Part, Resource, Roadmap, Topic

    problems: list[tuple[int, str]] = []

    def check(instance, line: int, parent: str) -> None:
        _in_time()
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

    def unique_slugs(sections: list[ParsedSection], what: str) -> None:
        seen: dict[str, ParsedSection] = {}
        for section in sections:
            if (twin := seen.setdefault(section.slug, section)) is not section:
                problems.append(
                    (
                        section.line,
                        f"{what} “{section.title}” has the same slug ({section.slug}) as"
                        f" “{twin.title}” on line {twin.line}{', in the same part' * (what == 'topic')}",
                    )
                )

    if doc.title:
        check(Roadmap(title=doc.title, introduction=doc.introduction), doc.title_line, "")
    unique_slugs(doc.parts, "part")
    for part in doc.parts:
        check(
            Part(title=part.title, slug=part.slug, summary=part.summary, status=part.status),
            part.line,
            "roadmap",
        )
        unique_slugs(part.topics, "topic")
        for topic in part.topics:
            check(
                Topic(title=topic.title, slug=topic.slug, summary=topic.summary), topic.line, "part"
            )
            for resource in topic.resources:
                check(
                    Resource(
                        title=resource.title,
                        url=resource.url,
                        description=resource.description,
                        kind=resource.kind,
                        level=resource.level,
                        cost=resource.cost,
                    ),
                    resource.line,
                    "topic",
                )
    return sorted(problems, key=lambda problem: problem[0])


def escape_title(title: str) -> str:
    """A title as link text Markdown reads back as written: what could open emphasis,
    code, a link or an entity is escaped."""
    return re.sub(r"([\\`*_\[\]<>~]|&(?=#?\w+;))", r"\\\1", title)


def escape_heading(title: str) -> str:
    """A title as a heading's text Markdown reads back as written: as link text, and a
    final `#` that would close the heading."""
    return re.sub(r"#$", r"\\#", escape_title(title))


def link_destination(url: str) -> str:
    """A URL as a link's destination Markdown reads back as written: backslashes and
    entities escaped, in angle brackets when it has parentheses or spaces, which would
    end it."""
    url = re.sub(r"(\\|&(?=#?\w+;))", r"\\\1", url)
    if not re.search(r"[()<>\s]", url):
        return url
    return "<" + re.sub(r"([<>])", r"\\\1", url) + ">"


def render_roadmap(roadmap, parts) -> str:
    """Write `roadmap` in the format `parse_roadmap` reads, each part's and topic's slug
    under its heading (a title renamed since keeps its row). `parts` come with their
    topics and the resources to export prefetched (see `PartQuerySet.for_export`)."""
    out = [f"# {escape_heading(roadmap.title)}", ""]
    out += as_written(roadmap.introduction)
    for number, part in enumerate(parts, start=1):
        # (Its slug line says it is read as written, bar a "Part 1:" before it, which the
        # reader drops: one is written only before a title that starts so itself.)
        heading = escape_heading(part.title)
        if PART_HEADING.match(part.title):
            heading = f"Part {number}: {heading}"
        out += [f"## {heading}", f"<!-- slug: {part.slug} -->", ""]
        if part.status != "published":
            out += ["-- soon --" if part.status == "coming_soon" else "-- draft --", ""]
        out += as_written(part.summary)
        for topic in part.topics.all():
            out += [f"### {escape_heading(topic.title)}", f"<!-- slug: {topic.slug} -->", ""]
            out += as_written(topic.summary)
            for resource in topic.resources.all():
                out.append(f"* [{escape_title(resource.title)}]({link_destination(resource.url)})")
                details = [f"kind: {resource.kind}"]
                details += [f"level: {resource.level}"] if resource.level else []
                details += [f"cost: {resource.cost}"] if resource.cost else []
                details += [f"hours: {resource.hours.normalize():f}"] if resource.hours else []
                out.append(f"  <!-- {', '.join(details)} -->")
                if resource.description:  # its own block: no line of it can end the item's
                    out.append("")
                for line in resource.description.split("\n") if resource.description else []:
                    out.append(f"  {line}" if line else "")
                out.append("")
    return "\n".join(out).rstrip() + "\n"


def as_written(text: str) -> list[str]:
    """An introduction's or a summary's lines in the file: between `<!-- text -->` lines,
    each a paragraph of its own, read back as written (see the module's doc)."""
    if not text:
        return []
    held = {line.rstrip() for line in text.split("\n")}
    n = (
        None
        if text_ends(None) not in held
        else next(str(n) for n in range(2, len(held) + 3) if text_ends(str(n)) not in held)
    )
    opens = f"<!-- text {n} -->" if n else "<!-- text -->"
    return [opens, "", text, "", text_ends(n), ""]


def export_roadmap_markdown(slug: str | None = None) -> str | None:
    """The roadmap `slug` (by default the first) as Markdown, or None when there is none."""
    from roadmap.models import Roadmap

    roadmap = Roadmap.objects.filter(slug=slug).first() if slug else Roadmap.objects.main()
    if roadmap is None:
        return None
    return render_roadmap(roadmap, roadmap.parts.for_export())
