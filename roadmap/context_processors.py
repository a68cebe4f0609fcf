from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from roadmap.progress import EMPTY, learner_state


def viewer(request: HttpRequest) -> dict:
    """Who is looking, as base.html asks: signed in, and staff. Pages rendered once for
    everybody (roadmap/render_once.py) give these themselves, for a kind of viewer."""
    user = request.user
    return {
        "signed_in": SimpleLazyObject(lambda: user.is_authenticated),
        "staff": SimpleLazyObject(lambda: user.is_staff),
    }


def learner_progress(request: HttpRequest) -> dict:
    """The viewer's own progress, for the navigation; queried only if a template uses it."""

    def progress():
        if not request.user.is_authenticated:
            return EMPTY
        return learner_state(user=request.user).progress

    return {"learner_progress": SimpleLazyObject(progress)}
