from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from roadmap.progress import progress_summary


def learner_progress(request: HttpRequest) -> dict:
    """`progress` for the navigation's percentage; queried only if a template uses it.
    Views that already computed it pass their own `progress`, which takes precedence."""
    return {"progress": SimpleLazyObject(lambda: progress_summary(user=request.user))}
