"""Render the Markdown curators and learners write (descriptions, summaries, notes)
safely."""

import re

from django import template
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

register = template.Library()


# The Markdown the site reads and renders: CommonMark with raw HTML off (tags in the
# source come out as text), tables and strikethrough. The importer reads what pages
# render (roadmap/roadmap_markdown.py makes its reader from this; a text whose tables
# pass MOST_TABLE_CELLS below is kept as written, and shown without them). markdown-it's own link
# validation drops javascript:, vbscript:, file: and data: links.
def site_markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False}).enable(["strikethrough", "table"])


_markdown = site_markdown()


def _cell_open(self, tokens, idx, options, env):
    """A table's cell aligned by a class, not markdown-it's inline style, which the
    site's policy refuses (style-src 'self'): `align-left`, `align-center`, `align-right`."""
    token = tokens[idx]
    style = token.attrs.pop("style", None)
    if style:
        token.attrSet("class", "align-" + str(style).removeprefix("text-align:"))
    return self.renderToken(tokens, idx, options, env)


_markdown.add_render_rule("th_open", _cell_open)
_markdown.add_render_rule("td_open", _cell_open)


# A table's rows are filled out to its header's width: a 9 KB note of one 256-column
# header over rows of two characters took 7 s to parse and made 3.3 MB of HTML. Past this
# many cells (a few tens of milliseconds), a text is rendered without tables: they show
# as the lines of pipes they are written in.
MOST_TABLE_CELLS = 5_000
_without_tables = site_markdown().disable("table")


def table_cells(source: str) -> int:
    """How many cells the tables of `source` would make, at most: each delimiter row's
    columns (`|---|:-:|`) times the lines of its table, up to the next blank line (lines
    as markdown-it reads them: "\r" ends one too)."""
    lines = NEWLINES.split(source)
    ahead = [0] * (len(lines) + 1)  # the lines from each to the next blank one
    for at in range(len(lines) - 1, -1, -1):
        # (Blank: spaces and tabs alone. markdown-it's table goes on over a line of any
        # other character Python counts as space, such as \x1c or \x85.)
        ahead[at] = ahead[at + 1] + 1 if lines[at].strip(" \t") else 0
    cells = 0
    for at, line in enumerate(lines):
        row = line.lstrip(" \t>").strip()  # (a table may be quoted)
        if "-" in row and "|" in row and set(row) <= DELIMITER_CHARACTERS:
            cells += (row.strip("|").count("|") + 1) * (1 + ahead[at])
    return cells


DELIMITER_CHARACTERS = set("|-: \t")
NEWLINES = re.compile(r"\r\n?|\n")


@register.filter(is_safe=True)
def markdown(source: str) -> SafeString:
    source = source or ""
    renderer = _markdown if table_cells(source) <= MOST_TABLE_CELLS else _without_tables
    return mark_safe(renderer.render(source))  # noqa: S308 - html is off, links validated
