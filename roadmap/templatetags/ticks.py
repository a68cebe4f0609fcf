"""The parts of a page that differ from one request to the next, as slots when the page
is rendered once for everybody (see roadmap/page_cache.py)."""

from django import template
from django.utils.safestring import SafeString, mark_safe

from roadmap import page_cache

register = template.Library()


@register.simple_tag(takes_context=True)
def tick(context, resource, kind: str) -> SafeString:
    """What a resource's row shows when it is done: `kind` is one of page_cache.TICKS."""
    if context.get("shared_rendering"):
        return page_cache.slot(kind, resource.public_id)
    return mark_safe(page_cache.TICKS[kind][bool(getattr(resource, "done", False))])  # noqa: S308


@register.simple_tag
def slot(name: str) -> SafeString:
    """A named slot (`messages`...), filled in for each request."""
    return page_cache.slot(name)
