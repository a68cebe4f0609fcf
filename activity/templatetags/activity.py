"""The learner's rhythm on their pages: `{% rhythm_panel %}` on /me/ (the viewer's own),
and on a share page what its owner chose to show (activity/apps.py adds it to the values
a page made once takes from the request)."""

from django import template
from django.template.loader import render_to_string

from accounts.models import User
from activity.rhythm import STREAK_RULE, paces, rhythm_of
from roadmap.progress import viewer_state

register = template.Library()


def panel(user, state, *, own: bool) -> str:
    rhythm = rhythm_of(user)
    context = {
        "rhythm": rhythm,
        "weeks": rhythm.weeks(),
        "rule": STREAK_RULE,
        "goal": user.weekly_goal if own else None,
        "paces": [pace for pace in paces(rhythm, state) if pace.weeks] if own else [],
        "own": own,
    }
    return render_to_string("activity/rhythm.html", context)


@register.simple_tag(takes_context=True)
def rhythm_panel(context) -> str:
    """The viewer's streaks, this week against their goal, their pace in each roadmap
    they have started and a year of activity."""
    request = context.request
    return panel(request.user, viewer_state(request), own=True)


def shared_activity(request) -> str:
    """A share page's owner's streaks and year of activity, if they chose to show them
    (one query when they did not)."""
    token = request.resolver_match.kwargs.get("token")
    owner = User.objects.filter(
        share_link__token=token, activity_shared=True, is_active=True
    ).first()
    return panel(owner, None, own=False) if owner is not None else ""
