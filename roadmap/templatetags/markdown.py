"""Render curator-written Markdown safely."""

from django import template
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

register = template.Library()


# The Markdown the site reads and renders: CommonMark with raw HTML off (tags in the
# source come out as text), tables and strikethrough. The importer reads what pages
# render (roadmap/roadmap_markdown.py makes its reader from this). markdown-it's own link
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


@register.filter(is_safe=True)
def markdown(source: str) -> SafeString:
    return mark_safe(_markdown.render(source or ""))  # noqa: S308 - html is off, links validated
