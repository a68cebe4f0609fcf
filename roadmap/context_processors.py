from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from roadmap.progress import EMPTY, learner_state


def learner_progress(request: HttpRequest) -> dict:
    """The viewer's own progress, for the navigation; queried only if a template uses it.
    Views that already computed it pass their own `learner_progress`, which wins."""

    def progress():
        if not request.user.is_authenticated:
            return EMPTY
        return learner_state(user=request.user).progress

    return {"learner_progress": SimpleLazyObject(progress)}
