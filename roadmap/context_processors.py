from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from roadmap.content import latest_content
from roadmap.progress import navigation_progress, navigation_state


def viewer(request: HttpRequest) -> dict:
    """Who is looking, as base.html asks: signed in, and staff. Pages made once for
    everybody (roadmap/pages.py) give these themselves, for a kind of viewer."""
    user = request.user
    return {
        "signed_in": SimpleLazyObject(lambda: user.is_authenticated),
        "staff": SimpleLazyObject(lambda: user.is_staff),
    }


def learner_progress(request: HttpRequest) -> dict:
    """The viewer's own progress, for the navigation (a visitor's from their session);
    queried only if a template uses it."""

    def default_roadmap():
        # Of the content the viewer's figures are counted against, when they have any (read
        # at this request): the navigation's roadmap and its figure are of one version.
        state = navigation_state(request)
        first = (state.content if state is not None else latest_content()).first
        return first and first.roadmap

    return {
        "learner_progress": SimpleLazyObject(lambda: navigation_progress(request)),
        "default_roadmap": SimpleLazyObject(default_roadmap),
    }
