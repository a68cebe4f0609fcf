"""The learner's rhythm on their pages: `{% rhythm_panel %}` on /me/ (the viewer's own),
and on a share page what its owner chose to show (activity/apps.py adds it to the values
a page made once takes from the request)."""

from django import template
from django.core.cache import caches
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import User
from activity.models import latest_event_and_today
from activity.rhythm import STREAK_RULE, WEEKDAYS, paces, rhythm_of
from roadmap.content import content_version
from roadmap.progress import viewer_state

register = template.Library()


def panel(user, state, *, own: bool) -> str:
    """The panel, kept (settings.CACHES["pages"]) under all it is made of: the learner's
    latest event, their today, the content (a curator's join makes two works' changes
    one's), and on their own page their goal and standing (its paces, its fingerprint
    holding the content's version); a year of days is slow to render and changes only
    with those."""
    now = timezone.now()
    made_of = (user.pk, *latest_event_and_today(user, now), own)
    if own:
        made_of += (user.weekly_goal, state.fingerprint)
    else:
        made_of += (content_version(),)

    def render() -> str:
        rhythm = rhythm_of(user, now)
        context = {
            "rhythm": rhythm,
            "weeks": rhythm.weeks(),
            "weekdays": WEEKDAYS,
            "rule": STREAK_RULE,
            "goal": user.weekly_goal if own else None,
            "paces": [pace for pace in paces(rhythm, state) if pace.weeks] if own else [],
            "own": own,
        }
        return render_to_string("activity/rhythm.html", context)

    return caches["pages"].get_or_set("rhythm:" + ":".join(map(str, made_of)), render)


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
