"""The parts of a resource's row that depend on the learner, as slots when the row is
rendered once for everybody (see roadmap/page_cache.py)."""

from django import template
from django.utils.safestring import SafeString, mark_safe

from roadmap.page_cache import TICK_OUTPUT, slot

register = template.Library()


@register.simple_tag(takes_context=True)
def tick(context, resource, part: str) -> SafeString:
    """`part` is "class", "checked" or "badge"."""
    if context.get("shared_rendering"):
        return slot(part, resource.public_id)
    return mark_safe(TICK_OUTPUT[part] if getattr(resource, "done", False) else "")  # noqa: S308
