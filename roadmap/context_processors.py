from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from roadmap.content import content_at, content_version, latest_content
from roadmap.progress import EMPTY, has_visitor_rows, learner_state, visitor_state


def viewer(request: HttpRequest) -> dict:
    """Who is looking, as base.html asks: signed in, and staff. Pages rendered once for
    everybody (roadmap/render_once.py) give these themselves, for a kind of viewer."""
    user = request.user
    return {
        "signed_in": SimpleLazyObject(lambda: user.is_authenticated),
        "staff": SimpleLazyObject(lambda: user.is_staff),
    }


def learner_progress(request: HttpRequest) -> dict:
    """The viewer's own progress, for the navigation (a visitor's from their session);
    queried only if a template uses it."""

    def progress():
        if request.user.is_authenticated:
            return learner_state(user=request.user).progress
        if not has_visitor_rows(request.session):
            return EMPTY
        content = content_at(content_version())
        return visitor_state(session=request.session, content=content).progress

    def default_roadmap():
        first = latest_content().first
        return first and first.roadmap

    return {
        "learner_progress": SimpleLazyObject(progress),
        "default_roadmap": SimpleLazyObject(default_roadmap),
    }
