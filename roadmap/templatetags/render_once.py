"""The tags that declare what a page rendered once fills in per request
(roadmap/render_once.py). Each owns its markup; outside a rendering made once, each
renders at once from the context's values."""

from __future__ import annotations

from django import template
from django.template.loader import render_to_string
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from roadmap.kept import code_version
from roadmap.models import Progress
from roadmap.pages import roadmap_rendering, viewer_of
from roadmap.progress import EMPTY
from roadmap.render_once import (
    BUILDING,
    REQUEST_VALUES,
    ROWS,
    FigureHole,
    Holes,
    RequestHole,
    ShownHole,
    StateHole,
    ValueHole,
    render_figure,
    rows,
)

register = template.Library()

BAR = "roadmap/progress.html#progress-bar"
NAV = "roadmap/progress.html#nav-progress"
PERCENT = "roadmap/progress.html#percent"


STATE_CHOICES = Progress.State.choices
STATES = tuple(Progress.State.values)  # (an enum's `values` is a new list each time)


class ByStateNode(template.Node):
    def __init__(self, resource: template.base.FilterExpression, nodelist) -> None:
        self.resource, self.nodelist = resource, nodelist

    def branch(self, context, state: str) -> str:
        with context.push(
            state=state, state_label=Progress.State(state).label, state_choices=STATE_CHOICES
        ):
            return self.nodelist.render(context)

    def branches(self, context) -> tuple[tuple[str, str], ...]:
        return tuple((state, self.branch(context, state)) for state in STATES)

    def render(self, context) -> str:
        public_id = str(self.resource.resolve(context).public_id)
        holes = context.get(BUILDING)
        if holes is None:  # rendered for one viewer: their state now
            state = context.get("states", {}).get(public_id, Progress.State.NOT_STARTED)
            return self.branch(context, state)
        return holes.add(StateHole(public_id, self.branches(context)))


class StateSlotNode(ByStateNode):
    """A `{% by_state %}` whose markup depends on the state alone: made once and reused
    in every row (one tuple of branches for the 10,000 rows a process keeps), where a page
    of 500 rows made it 500 times over."""

    def __init__(self, resource, nodelist) -> None:
        super().__init__(resource, nodelist)
        self.made: dict[str, str] = {}
        self.all_made: tuple[tuple[str, str], ...] | None = None

    def branch(self, context, state: str) -> str:
        if state not in self.made:
            self.made[state] = super().branch(context, state)
        return self.made[state]

    def branches(self, context) -> tuple[tuple[str, str], ...]:
        if self.all_made is None:
            self.all_made = super().branches(context)
        return self.all_made


class RowNode(template.Node):
    def __init__(self, name: tuple, resource, counted, flags, nodelist) -> None:
        self.name = name
        self.resource, self.counted, self.flags = resource, counted, flags
        self.nodelist = nodelist

    def render(self, context) -> str:
        holes = context.get(BUILDING)
        if holes is None:
            return self.nodelist.render(context)
        resource = self.resource.resolve(context)
        shown = tuple(
            getattr(resource, field.attname)
            for field in resource._meta.concrete_fields
            if field.name not in resource.NOT_CONTENT
        )
        key = (
            self.name,
            shown,
            resource.pk in (self.counted.resolve(context) or ()),
            *(bool(flag.resolve(context)) for flag in self.flags),
        )

        def make() -> tuple[str, list]:
            ROWS.inc()
            mine = Holes()
            with context.push({BUILDING: mine}):
                return self.nodelist.render(context), mine.found

        made = holes.rows[key] = rows.get(key, make)
        return holes.take(*made)


@register.tag
def row(parser, token) -> RowNode:
    """`{% row resource counted flag... %}...{% endrow %}`: a piece of a resource's row
    in a page made once, itself made once for every page that shows it as it is, and kept
    by what it shows: every field of the resource, whether it counts (`counted`, what
    counts), and the page's flags it names (`readonly`, `twin`, `signed_in`: each true or
    false). So an edit makes one row again, and the page of the roadmap it is in is put
    together from the rows it had. A row may show nothing else of the page (name the
    flags it does)."""
    _name, resource, counted, *flags = token.split_contents()
    # Its name, the same in every process running this code: the template, and which of
    # its rows it is (a template changed is new code: code_version).
    if parser.origin.template_name is None:
        raise template.TemplateSyntaxError("{% row %} names its rows by their template's name.")
    number = parser.extra_data["roadmap.rows"] = parser.extra_data.get("roadmap.rows", 0) + 1
    name = (code_version(), parser.origin.template_name, number)
    nodelist = parser.parse(("endrow",))
    parser.delete_first_token()
    return RowNode(
        name,
        parser.compile_filter(resource),
        parser.compile_filter(counted),
        [parser.compile_filter(flag) for flag in flags],
        nodelist,
    )


@register.tag
def state_slot(parser, token) -> StateSlotNode:
    """`{% state_slot resource %}...{% end_state_slot %}`: as `{% by_state %}`, for markup
    that shows the state and nothing else of the row (a class, `checked`, a badge): it
    may use `state`, `state_label` and `state_choices`, and nothing of the resource."""
    _name, resource = token.split_contents()
    nodelist = parser.parse(("end_state_slot",))
    parser.delete_first_token()
    return StateSlotNode(parser.compile_filter(resource), nodelist)


@register.tag
def by_state(parser, token) -> ByStateNode:
    """`{% by_state resource %}...{% end_by_state %}`: the markup between, for the
    resource's state (`state` in it: one of Progress.State; `state_label` its name,
    `state_choices` every state's value and name)."""
    _name, resource = token.split_contents()
    nodelist = parser.parse(("end_by_state",))
    parser.delete_first_token()
    return ByStateNode(parser.compile_filter(resource), nodelist)


def figure(context, hole: FigureHole, progress) -> SafeString:
    holes = context.get(BUILDING)
    if holes is not None:
        return holes.add(hole)
    return mark_safe(render_figure(hole, (progress or EMPTY).get(hole.key)).decode())  # noqa: S308


def page_figures(context):
    """The figures a page shows: its view's `progress` (a share page's are its owner's),
    else the viewer's own (the layout's, roadmap/context_processors.py)."""
    return context["progress"] if "progress" in context else context.get("learner_progress")


@register.simple_tag(takes_context=True)
def progress_bar(context, scope: str, pk, label: str = "", oob: bool = False) -> SafeString:
    """A progress bar ("<label> progress"): a roadmap's, a part's or a topic's by `pk`."""
    key = f"{scope}-{pk}"
    details = (("scope", scope), ("key", pk), ("label", label), ("oob", oob))
    return figure(context, FigureHole(key, BAR, details), page_figures(context))


@register.simple_tag(takes_context=True)
def nav_progress(context, oob: bool = False) -> SafeString:
    """The navigation's link to the dashboard, with the viewer's percentage of the
    roadmap the page is about (`roadmap`), or else of the first (`default_roadmap`)."""
    progress = context.get("learner_progress")
    details = (("oob", oob), ("signed_in", bool(context.get("signed_in"))))
    roadmap = context.get("roadmap") or context.get("default_roadmap")
    key = f"roadmap-{roadmap.pk if roadmap else 0}"
    return figure(context, FigureHole(key, NAV, details, viewers_own=True), progress)


class ShownNode(template.Node):
    def __init__(self, key: template.base.FilterExpression, nodelist) -> None:
        self.key, self.nodelist = key, nodelist

    def render(self, context) -> str:
        key = str(self.key.resolve(context))
        holes = context.get(BUILDING)
        if holes is not None:
            start = holes.add(ShownHole(key, True))
            return start + self.nodelist.render(context) + holes.add(ShownHole(key, False))
        shown = context.get("shown")
        return self.nodelist.render(context) if shown is None or key in shown else ""


@register.tag
def shown(parser, token) -> ShownNode:
    """`{% shown key %}...{% endshown %}`: a piece a roadmap page's filters may hide
    (roadmap/filters.py names what they show: a resource's public id, a topic's anchor,
    "part-<id>"); outside a rendering made once, shown if the context's `shown` is None
    or holds `key`."""
    _name, key = token.split_contents()
    nodelist = parser.parse(("endshown",))
    parser.delete_first_token()
    return ShownNode(parser.compile_filter(key), nodelist)


@register.simple_tag(takes_context=True)
def percent(context, scope: str, pk) -> SafeString:
    """A percentage alone, for running text ("40% through"): of a roadmap, a part or a
    topic, as `progress_bar` takes them."""
    return figure(context, FigureHole(f"{scope}-{pk}", PERCENT, ()), page_figures(context))


@register.simple_tag(takes_context=True)
def hole(context, name: str, key=None, default: str = ""):
    """A value each request gives (`fill(name=...)`); outside, the context's `name`.
    With `key`, one of many: `fill(name={key: value, ...})`, `default` for a key not
    given."""
    holes = context.get(BUILDING)
    key = None if key is None else str(key)
    if holes is not None:
        return holes.add(ValueHole(name, key, default))
    value = context.get(name, "")
    return value if key is None else value.get(key, default)


@register.simple_tag(takes_context=True)
def from_request(context, name: str) -> str:
    """The layout's own value `name` of the request the page is for (REQUEST_VALUES: the
    CSRF token, the messages waiting): in a page made once, filled in per request."""
    holes = context.get(BUILDING)
    if holes is not None:
        return holes.add(RequestHole(name))
    request = getattr(context, "request", None)
    return conditional_escape(REQUEST_VALUES[name](request)) if request is not None else ""


NOTE = "roadmap/roadmap.html#note-shown"


@register.simple_tag(takes_context=True)
def note_shown(context, resource) -> str:
    """The learner's note under `resource`'s row: in a page made once, the keyed hole
    "notes" (roadmap/pages.py `notes_shown` fills it); otherwise the context's `note`."""
    holes = context.get(BUILDING)
    if holes is not None:
        return holes.add(ValueHole("notes", str(resource.public_id)))
    note = context.get("note")
    if not note:
        return ""
    # (`html` was rendered by the safe Markdown renderer when the note was saved.)
    return render_to_string(NOTE, {"note_html": mark_safe(note.html)})  # noqa: S308


@register.simple_tag(takes_context=True)
def kept_roadmap(context, listed, template: str, **arguments) -> SafeString:
    """`template`, a partial that shows the roadmap `listed` alone (`listed`, `roadmap`,
    `parts`, `counted`, `prerequisites`), made once per version of that roadmap for each
    kind of viewer and kept in this process (roadmap/pages.py), filled with the page's
    `progress`; `arguments`: the partial's own, plain values. So a plain page keeps what
    would make it slow: a roadmap's card on the home page, its list of parts on /me/.
    Paired runs (docs/performance.md, "Plain views, paired"): the home page 0.24 of
    /healthz plain, 0.31 with it; /me/ 0.08 and 0.14. Measured before `{% cache %}` kept
    the pieces around it by the learner's fingerprint: since, it serves the first view
    after each change of theirs. Cost: a rendering per roadmap, template and kind of
    viewer in each process."""
    request = context.request
    rendering = roadmap_rendering(
        listed, viewer_of(request.user), template, everywhere=False, **arguments
    )
    filled = rendering.fill(request=request, progress=page_figures(context))
    return mark_safe(filled.decode())  # noqa: S308 - a template's rendering, filled
