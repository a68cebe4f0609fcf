"""Render curator-written Markdown safely."""

from django import template
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

register = template.Library()

# CommonMark with raw HTML off: tags in the source come out as text. markdown-it's own
# link validation drops javascript:, vbscript:, file: and data: links. Tables and
# strikethrough, as the importer reads them (roadmap/roadmap_markdown.py).
_markdown = MarkdownIt("commonmark", {"html": False}).enable(["strikethrough", "table"])


@register.filter(is_safe=True)
def markdown(source: str) -> SafeString:
    return mark_safe(_markdown.render(source or ""))  # noqa: S308 - html is off, links validated
