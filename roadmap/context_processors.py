from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from roadmap.progress import progress_summary


def learner_progress(request: HttpRequest) -> dict:
    """The viewer's own progress, for the navigation; queried only if a template uses it.
    Views that already computed it pass their own `learner_progress`, which wins."""
    return {"learner_progress": SimpleLazyObject(lambda: progress_summary(user=request.user))}
