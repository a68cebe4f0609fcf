"""A learner's suggestion for a topic, and anyone's report of a problem with a resource:
each a form in place with htmx, and a page of its own without JavaScript."""

from __future__ import annotations

from allauth.core import ratelimit
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_http_methods
from django_htmx.middleware import HtmxDetails

from accounts.decorators import private_page
from curation.forms import ReportForm, SuggestionForm
from curation.models import Suggestion
from curation.services import (
    AlreadySuggested,
    QuotaReached,
    ReportRefused,
    listings_of,
    report_create,
    suggestion_create,
)
from roadmap.content import content_at, content_version, counted_resource, latest_content
from roadmap.models import Resource
from roadmap.services import visitor_of
from roadmap.views import back_to_row, ways_back


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


@private_page
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def suggest(request: HtmxHttpRequest, topic_id: int) -> HttpResponse:
    """Suggest a resource for a topic. A URL this roadmap lists already is refused with
    where it is; one another roadmap lists is sent once the learner has seen where."""
    content = content_at(content_version())
    topic = content.topic_shown(topic_id, staff=request.user.is_staff)
    if topic is None:
        raise Http404
    roadmap = topic.part.roadmap
    elsewhere: list[Resource] = []
    if request.method == "POST":
        form = SuggestionForm(request.POST, auto_id=suggest_ids(topic))
        if form.is_valid():
            url = form.cleaned_data["url"]
            listings = listings_of(content, url)
            here = [r for r in listings if r.topic.part.roadmap_id == roadmap.pk]
            elsewhere = [r for r in listings if r.topic.part.roadmap_id != roadmap.pk]
            if here:
                form.add_error("url", "This resource is already listed in this roadmap.")
                elsewhere = here
            elif elsewhere and request.POST.get("seen_elsewhere") != url:
                pass  # shown where it is listed; sent when they send it again
            else:
                said, again = "Thank you: your suggestion was sent to the curators.", False
                try:
                    suggestion_create(user=request.user, topic=topic, **form.cleaned_data)
                except AlreadySuggested:
                    said, again = (
                        "You have suggested it for this topic already: it is pending.",
                        True,
                    )
                except QuotaReached:
                    form.add_error(
                        None,
                        "You have sent as many suggestions as a day allows. Nothing was"
                        " saved: try again tomorrow.",
                    )
                    return suggestion_page(request, form, topic, [], status=429)
                context = {"topic": topic, "said": said, "again": again}
                partial = "curation/suggest.html#suggestion-sent"
                return sent(request, partial, context, back=topic.get_absolute_url())
    elif request.htmx and request.GET.get("close"):  # Cancel: the button again
        context = {"topic": topic, "focus": True}  # the keyboard back on the link
        return render(request, "curation/topic_actions.html#suggest-open", context)
    else:
        form = SuggestionForm(auto_id=suggest_ids(topic))
        form.fields["url"].widget.attrs["autofocus"] = bool(request.htmx)  # opened in place
    return suggestion_page(request, form, topic, elsewhere)


# Each form's own ids: a page may have several open in place (one a topic, one a
# resource), and a second form's labels must not name the first's fields.
def suggest_ids(topic) -> str:
    return f"suggest-{topic.pk}-%s"


def report_ids(resource) -> str:
    return f"report-{resource.public_id}-%s"


def sent(request: HtmxHttpRequest, partial: str, context: dict, *, back: str) -> HttpResponse:
    """What a sent form answers: with htmx, `partial` in the form's place (it announces
    what `context["said"]` says); without, that as a message on the page it came from."""
    if request.htmx:
        return render(request, partial, context)
    messages.success(request, context["said"])
    return redirect(back)


def suggestion_page(request, form, topic, listed: list[Resource], *, status: int = 200):
    """The suggestion's form (in place with htmx), with where its URL is listed."""
    focus_first_error(form)
    context = {
        "topic": topic,
        "form": form,
        "listed": listed,
        "listed_here": bool(form.errors.get("url")) and bool(listed),
        "in_place": request.htmx,
    }
    template = "curation/suggest.html#suggestion-form" if request.htmx else "curation/suggest.html"
    return render(request, template, context, status=status)


@private_page  # (the form in place and the page share an address: neither is kept)
@require_http_methods(["GET", "HEAD", "POST"])
def report(request: HtmxHttpRequest, public_id) -> HttpResponse:
    """Report a problem with a resource, as a learner or a visitor (visitors rate-limited
    by address, as logins are); a second report while one is open is not filed again."""
    # (As the content is now: a page to read, so as a curator's edit just left it.)
    _content, resource = counted_resource(str(public_id), current=True)
    status = 200
    if request.method == "POST":
        form = ReportForm(request.POST, auto_id=report_ids(resource))
        if form.is_valid():
            signed_in = request.user.is_authenticated
            if not signed_in and not ratelimit.consume(request, action="report"):
                form.add_error(
                    None,
                    "Too many reports from your address. Nothing was saved: please wait before trying again.",
                )
                status = 429
            else:
                reporter = (
                    {"user": request.user}
                    if signed_in
                    else {"visitor": visitor_of(request.session)}
                )
                try:
                    reported = report_create(resource=resource, **reporter, **form.cleaned_data)
                except ReportRefused:
                    raise Http404 from None  # deleted since this process last read it
                said = (
                    "Thank you: your report was sent to the curators."
                    if reported.new
                    else "You have reported a problem with this resource already; the curators will look at it."
                )
                context = {"resource": resource, "said": said}
                partial = "curation/report.html#report-sent"
                return sent(request, partial, context, back=back_to_row(request, resource))
    elif request.htmx and request.GET.get("close"):  # Cancel: the button again
        context = {"resource": resource, "focus": True}  # the keyboard back on the link
        return render(request, "curation/row_actions.html#report-open", context)
    else:
        form = ReportForm(auto_id=report_ids(resource))
        form.fields["problem"].widget.attrs["autofocus"] = bool(request.htmx)  # opened in place
    focus_first_error(form)
    template = "curation/report.html#report-form" if request.htmx else "curation/report.html"
    context = {"resource": resource, "form": form, "in_place": request.htmx}
    return render(request, template, context | ways_back(request, resource), status=status)


def focus_first_error(form) -> None:
    """The keyboard goes to the first field with an error (in place, it would otherwise
    be left on the page's body when the form is swapped)."""
    for name in form.errors:
        if name in form.fields:
            form.fields[name].widget.attrs["autofocus"] = True
            return


def your_suggestions(request: HttpRequest) -> str:
    """/me/'s section of the learner's suggestions and what became of each: a link to the
    resource, and the place of the topic, only where they can see it."""
    content, staff = latest_content(), request.user.is_staff
    shown = content.shown_to(staff=staff)
    suggestions = [
        (
            suggestion,
            shown[suggestion.resource_id].get_absolute_url()
            if suggestion.resource_id in shown
            else None,
            content.topic_shown(suggestion.topic_id, staff=staff),
        )
        for suggestion in Suggestion.objects.of(request.user)
    ]
    return render_to_string("curation/your_suggestions.html", {"suggestions": suggestions})
