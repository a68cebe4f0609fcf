"""Anyone can report a problem with a listed resource; curators close reports in admin."""

import re

import pytest
from django.utils import timezone

from curation.models import Report
from tests.factories import TopicFactory, UserFactory
from tests.progress_helpers import HTMX, ROADMAP


def report_url(resource) -> str:
    return f"/resources/{resource.public_id}/report"


def test_every_resource_offers_a_report_to_visitors_and_learners(client, three):
    for who in (None, UserFactory()):
        if who:
            client.force_login(who)
        page = client.get(ROADMAP).content.decode()
        assert page.count("Report a problem") == 3
        assert f'<a class="in-place" href="{report_url(three[1])}">' in page


def test_every_search_result_offers_a_report(client, three):
    for who in (None, UserFactory()):
        if who:
            client.force_login(who)
        page = client.get("/search/", {"q": "book"}).content.decode()
        assert page.count("Report a problem") == 3
        assert f'<a class="in-place" href="{report_url(three[1])}">' in page


def test_the_form_has_what_the_contract_names(client, three):
    page = client.get(report_url(three[0])).content.decode()
    assert ">What is wrong</label>" in page and ">Comment</label>" in page
    options = re.findall(r"<option [^>]*>([^<]*)</option>", page)
    assert options == [
        "The link is broken",
        "It is paywalled now",
        "The information is wrong",
        "Something else",
    ]
    assert ">Send report</button>" in page


def test_a_visitor_reports_once_while_it_is_open(client, three):
    answer = client.post(report_url(three[0]), {"problem": "broken", "comment": ""})
    assert answer.status_code == 302 and answer["Location"] == three[0].get_absolute_url()
    report = Report.objects.get()
    assert (report.problem, report.user, report.status) == (
        "broken",
        None,
        "open",
    ) and report.visitor
    again = client.post(report_url(three[0]), {"problem": "paywalled", "comment": ""}, follow=True)
    assert "reported a problem with this resource already" in again.content.decode()
    assert Report.objects.count() == 1
    # Another visitor (another session) reports on their own.
    client.cookies.clear()
    client.post(report_url(three[0]), {"problem": "paywalled", "comment": ""})
    assert Report.objects.count() == 2


def test_a_learner_reports_once_while_open_and_again_once_it_is_closed(client, three):
    ada = UserFactory()
    client.force_login(ada)
    client.post(report_url(three[1]), {"problem": "wrong", "comment": "The author is Bengio."})
    client.post(report_url(three[1]), {"problem": "wrong", "comment": "Again."})
    assert Report.objects.get().comment == "The author is Bengio."
    Report.objects.update(status="fixed", closed_at=timezone.now())
    client.post(report_url(three[1]), {"problem": "broken", "comment": ""})
    assert Report.objects.filter(user=ada).count() == 2


def test_with_htmx_the_answer_replaces_the_form_and_is_announced(client, three):
    form = client.get(report_url(three[0]), headers=HTMX).content.decode()
    assert "<html" not in form and ">Send report</button>" in form
    answer = client.post(report_url(three[0]), {"problem": "broken", "comment": ""}, headers=HTMX)
    html = answer.content.decode()
    assert "your report was sent" in html and 'id="progress-announcer"' in html


@pytest.mark.parametrize(
    "fields, error",
    [
        ({"problem": "", "comment": ""}, "This field is required."),
        ({"problem": "spam", "comment": ""}, "Select a valid choice."),
        ({"problem": "other", "comment": "  "}, "Say what is wrong."),
        ({"problem": "wrong", "comment": "x" * 2001}, "at most 2000 characters"),
    ],
)
def test_bad_input_gets_a_form_error_and_changes_nothing(client, three, fields, error):
    answer = client.post(report_url(three[0]), fields)
    assert answer.status_code == 200 and error in answer.content.decode()
    assert not Report.objects.exists()


# What a browser sends for a textarea filled to its maxlength (2000) in 20 lines: the
# textarea counts each line break as one character, the form's data carries CRLF.
TYPED_TO_THE_LIMIT = ("y" * 99 + "\r\n") * 19 + "y" * 100


def test_a_comment_typed_to_the_textareas_limit_is_taken_as_typed(client, three):
    answer = client.post(report_url(three[0]), {"problem": "other", "comment": TYPED_TO_THE_LIMIT})
    assert answer.status_code == 302
    assert Report.objects.get().comment == TYPED_TO_THE_LIMIT.replace("\r\n", "\n")


def test_a_comment_too_long_is_told_so_alone(client, three):
    """ "Something else" with a comment too long: the learner did say what is wrong."""
    page = client.post(report_url(three[0]), {"problem": "other", "comment": "x" * 2001})
    html = page.content.decode()
    assert "at most 2000 characters" in html and "Say what is wrong." not in html
    assert not Report.objects.exists()


def test_visitors_are_rate_limited_by_address(client, three, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "report": "2/h/ip"}
    for resource in three[:2]:
        assert client.post(report_url(resource), {"problem": "broken"}).status_code == 302
    client.cookies.clear()  # a new session does not buy a new allowance
    refused = client.post(report_url(three[2]), {"problem": "broken"})
    assert refused.status_code == 429 and "Nothing was saved" in refused.content.decode()
    assert Report.objects.count() == 2


def test_drafts_and_unknown_resources_cannot_be_reported(client, three):
    three[0].status = "draft"
    three[0].save()
    assert client.get(report_url(three[0])).status_code == 404
    assert (
        client.post(
            "/resources/00000000-0000-0000-0000-000000000000/report", {"problem": "broken"}
        ).status_code
        == 404
    )
    assert not Report.objects.exists()


def test_a_curator_sees_the_report_with_the_link_check_and_marks_it_fixed(client, three, curator):
    learner = UserFactory(email="secret@example.com", display_name="Grace")
    resource = three[0]
    resource.link_status, resource.link_checked_at = 404, timezone.now()
    resource.save()
    report = Report.objects.create(resource=resource, user=learner, problem="broken")
    Report.objects.create(resource=three[1], visitor="abc", problem="other", comment="Odd.")
    client.force_login(curator)
    page = client.get("/admin/curation/report/").content.decode()
    assert "Mark selected reports fixed" in page
    assert "broken (HTTP 404)" in page and "Not checked yet" in page
    assert "A learner: Grace" in page and "A visitor" in page and "secret@example.com" not in page
    assert (
        client.get("/admin/curation/report/?problem__exact=broken")
        .content.decode()
        .count("A learner: Grace")
        == 1
    )
    client.post(
        "/admin/curation/report/", {"action": "mark_fixed", "_selected_action": [report.pk]}
    )
    report.refresh_from_db()
    assert report.status == "fixed" and report.closed_at is not None
    assert Report.objects.open().count() == 1


def test_admin_index_lists_suggestions_and_reports(client, three, curator):
    client.force_login(curator)
    page = client.get("/admin/").content.decode()
    assert ">Suggestions</a>" in page and ">Reports</a>" in page and ">Roadmap figures</a>" in page


def test_cancel_in_place_gives_the_link_back(client, three):
    answer = client.get(f"{report_url(three[0])}?close=1", headers=HTMX).content.decode()
    assert answer.startswith('<a class="in-place" href="') and "<form" not in answer


def test_a_curator_declines_a_report_only_with_a_reason(client, three, curator):
    report = Report.objects.create(resource=three[0], visitor="abc", problem="wrong")
    client.force_login(curator)
    url = "/admin/curation/report/"
    refused = client.post(url, {"action": "decline", "_selected_action": [report.pk]}, follow=True)
    assert "Give a reason" in refused.content.decode()
    report.refresh_from_db()
    assert report.status == "open"
    fields = {"action": "decline", "_selected_action": [report.pk], "reason": "It is right."}
    client.post(url, fields)
    report.refresh_from_db()
    assert (report.status, report.reason) == ("declined", "It is right.")


def test_two_forms_open_in_place_name_each_its_own_fields(client, three, learner):
    """A report form open on one row and another on the next (a note's on two rows, a
    suggestion's on two topics): no id twice on the page, and each label names a field of
    its own form."""
    client.force_login(learner)
    topics = [three[0].topic, TopicFactory(part=three[0].topic.part)]
    paths = [
        *(report_url(resource) for resource in three[:2]),
        *(f"/resources/{resource.public_id}/note" for resource in three[:2]),
        *(f"/topics/{topic.pk}/suggest" for topic in topics),
    ]
    seen: set[str] = set()
    for path in paths:
        fragment = client.get(path, headers=HTMX).content.decode()
        ids = set(re.findall(r' id="([^"]+)"', fragment)) - {"progress-announcer"}  # (oob)
        assert ids and not ids & seen, (path, ids & seen)
        seen |= ids
        for target in re.findall(r'<label for="([^"]+)"', fragment):
            assert target in ids, (path, target)


def test_without_javascript_a_report_goes_back_to_the_page_it_was_opened_from(client, three):
    results = "http://testserver/search/?q=book"
    page = client.get(report_url(three[0]), headers={"Referer": results}).content.decode()
    assert f'<input type="hidden" name="back" value="{results}">' in page
    response = client.post(report_url(three[0]), {"problem": "broken", "back": results})
    assert response.status_code == 302 and response["Location"] == f"{results}#{three[0].anchor}"
    assert "your report was sent" in client.get(results).content.decode()


def test_the_report_page_shows_the_resource_as_a_curator_just_left_it(client, three):
    from roadmap.models import Resource

    client.get(ROADMAP)  # this process has read the content
    Resource.objects.filter(pk=three[0].pk).update(title="Book 0, second edition")
    page = client.get(report_url(three[0])).content.decode()
    assert "Report a problem with" in page and "Book 0, second edition" in page
    Resource.objects.filter(pk=three[0].pk).update(status="archived")
    assert client.get(report_url(three[0])).status_code == 404


def test_the_form_in_place_is_never_kept_for_its_page(client, three):
    """The form opened in place and the report's page share an address: a browser that
    kept the fragment showed it, bare and unstyled, for the page after Back."""
    page = client.get(report_url(three[0]))
    in_place = client.get(report_url(three[0]), headers=HTMX)
    assert b"<header" in page.content and b"<header" not in in_place.content
    for answer in (page, in_place):
        assert "no-store" in answer["Cache-Control"]
