"""The parts of a page that differ from one request to the next, as slots: pages that
show them are rendered once for everybody and filled per request (roadmap/page_cache.py)."""

from django import template
from django.utils.safestring import SafeString

from roadmap import page_cache

register = template.Library()


@register.simple_tag
def tick(resource, kind: str) -> SafeString:
    """What a resource's row shows when it is done: `kind` is one of page_cache.TICKS."""
    return page_cache.slot(kind, resource.public_id)


@register.simple_tag
def slot(name: str) -> SafeString:
    """A named slot (`messages`...), filled in for each request."""
    return page_cache.slot(name)
