from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from search.views import START, STOP

register = template.Library()


@register.filter
def marked(text: str) -> SafeString:
    """A headline (SearchHeadline) as markup: escaped, its matched words in <mark>."""
    escaped = escape(text.replace(START + STOP, ""))
    return mark_safe(escaped.replace(START, "<mark>").replace(STOP, "</mark>"))  # noqa: S308
