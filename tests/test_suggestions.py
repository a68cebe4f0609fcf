"""Learners suggest resources for a topic; curators accept or decline them in admin;
learners see what became of theirs on /me/."""

import pytest

from curation.models import Suggestion
from roadmap.models import Resource
from tests.factories import (
    CuratorFactory,
    ResourceFactory,
    RoadmapFactory,
    StaffFactory,
    TopicFactory,
    UserFactory,
    resources_in_one_topic,
)
from tests.progress_helpers import HTMX, ROADMAP


@pytest.fixture
def topic(three):
    return three[0].topic


@pytest.fixture
def ada(client, three):
    ada = UserFactory(username="ada", display_name="Ada L.")
    client.force_login(ada)
    return ada


def suggest_url(topic) -> str:
    return f"/topics/{topic.pk}/suggest"


def suggestion(**fields) -> dict:
    return {
        "url": "https://example.org/deep-book",
        "title": "A deep book",
        "why": "Clear and free.",
        **fields,
    }


def test_each_topic_offers_a_suggestion_to_learners_only(client, three, topic):
    assert "Suggest a resource" not in client.get(ROADMAP).content.decode()
    client.force_login(UserFactory())
    page = client.get(ROADMAP).content.decode()
    assert page.count("Suggest a resource") == 1  # one topic
    assert f'<a class="in-place" href="{suggest_url(topic)}">' in page


def test_the_form_has_the_fields_the_contract_names(client, ada, topic):
    page = client.get(suggest_url(topic)).content.decode()
    for label in ("URL", "Title", "Why it belongs"):
        assert f">{label}</label>" in page
    assert ">Send suggestion</button>" in page
    in_place = client.get(suggest_url(topic), headers=HTMX).content.decode()
    assert "<html" not in in_place and ">Send suggestion</button>" in in_place


def test_a_suggestion_is_filed_pending_and_shown_on_me(client, ada, topic):
    answer = client.post(suggest_url(topic), suggestion(credit="on"))
    assert answer.status_code == 302 and answer["Location"] == topic.get_absolute_url()
    filed = Suggestion.objects.get()
    assert (filed.user, filed.topic, filed.status, filed.credit) == (ada, topic, "pending", True)
    assert filed.kind == "book"  # guessed from its words, as the importer guesses
    me = client.get("/me/").content.decode()
    assert "Your suggestions" in me and "A deep book" in me and "Pending" in me


def test_with_htmx_the_answer_replaces_the_form_and_is_announced(client, ada, topic):
    answer = client.post(suggest_url(topic), suggestion(), headers=HTMX).content.decode()
    assert "your suggestion was sent" in answer and 'id="progress-announcer"' in answer
    assert "<html" not in answer


def test_a_url_this_roadmap_lists_is_refused_with_where(client, ada, three, topic):
    listed = three[1]
    answer = client.post(
        suggest_url(topic), suggestion(url=listed.url.replace("https", "http") + "/")
    )
    page = answer.content.decode()
    assert "already listed" in page and listed.title in page
    assert listed.get_absolute_url() in page
    assert not Suggestion.objects.exists()


def test_a_url_another_roadmap_lists_is_said_and_sent_when_sent_again(client, ada, topic):
    other = ResourceFactory(
        topic=TopicFactory(part__roadmap=RoadmapFactory(slug="vision", title="Vision")),
        url="https://example.org/cnn",
        title="CNNs",
    )
    first = client.post(suggest_url(topic), suggestion(url=other.url)).content.decode()
    assert "already listed in another roadmap" in first and "Vision" in first and "CNNs" in first
    assert not Suggestion.objects.exists()
    again = client.post(suggest_url(topic), suggestion(url=other.url, seen_elsewhere=other.url))
    assert again.status_code == 302
    assert Suggestion.objects.get().url == other.url


@pytest.mark.parametrize(
    "fields, error",
    [
        ({"url": "not a url"}, "Enter a valid URL."),
        ({"url": "javascript:alert(1)"}, "Enter a valid URL."),
        ({"url": "ftp://example.org/x"}, "Enter a valid URL."),
        ({"title": ""}, "This field is required."),
        ({"why": ""}, "This field is required."),
        ({"why": "x" * 2001}, "at most 2000 characters"),
        ({"title": "t" * 301}, "at most 300 characters"),
        ({"title": "A deep book \u202e reversed"}, "change the direction of the text"),
        ({"title": "A deep book \u0007"}, "Control characters"),
        # Shown to curators, as the browser turns it: ".../tset.live@example.org".
        ({"url": "https://\u202egro.elpmaxe@evil.test/"}, "change the direction of the text"),
        ({"url": "https://evil.test/\u202egro.elpmaxe"}, "change the direction of the text"),
    ],
)
def test_bad_input_gets_a_form_error_and_changes_nothing(client, ada, topic, fields, error):
    answer = client.post(suggest_url(topic), suggestion(**fields))
    assert answer.status_code == 200 and answer.content.decode().count(error) == 1  # said once
    assert not Suggestion.objects.exists()


def test_reasons_typed_to_the_textareas_limit_are_taken_as_typed(client, ada, topic):
    """A textarea counts a line break as one character; the browser sends it as CRLF."""
    typed = ("y" * 99 + "\r\n") * 19 + "y" * 100  # 2,000 as the textarea counts
    assert client.post(suggest_url(topic), suggestion(why=typed)).status_code == 302
    assert Suggestion.objects.get().why == typed.replace("\r\n", "\n")


def test_at_most_ten_a_day(client, ada, topic, settings):
    for n in range(10):
        assert (
            client.post(suggest_url(topic), suggestion(url=f"https://example.org/{n}")).status_code
            == 302
        )
    refused = client.post(suggest_url(topic), suggestion(url="https://example.org/11"))
    assert refused.status_code == 429 and "try again tomorrow" in refused.content.decode()
    assert Suggestion.objects.count() == 10
    # Another learner has their own allowance.
    client.force_login(UserFactory())
    assert (
        client.post(suggest_url(topic), suggestion(url="https://example.org/12")).status_code == 302
    )


def test_visitors_are_sent_to_log_in_and_drafts_are_not_found(client, three, topic):
    assert client.post(suggest_url(topic), suggestion()).status_code == 302
    assert not Suggestion.objects.exists()
    client.force_login(UserFactory())
    draft = TopicFactory(part__roadmap=RoadmapFactory(slug="draft", status="draft"))
    assert client.get(suggest_url(draft)).status_code == 404
    assert client.get("/topics/999999/suggest").status_code == 404


@pytest.fixture
def queue(client, db):
    """A curator of the Curators group, logged in to admin."""
    return CuratorFactory()


def act(client, model: str, action: str, rows, **fields):
    return client.post(
        f"/admin/curation/{model}/",
        {"action": action, "_selected_action": [row.pk for row in rows], **fields},
        follow=True,
    )


def test_a_curator_accepts_a_suggestion_as_a_draft_or_published(client, three, topic, queue):
    learner = UserFactory(display_name="Ada L.")
    first = Suggestion.objects.create(
        user=learner, topic=topic, url="https://example.org/a", title="A", why="Good.", credit=True
    )
    second = Suggestion.objects.create(
        user=learner, topic=topic, url="https://example.org/b", title="B", why="Better."
    )
    client.force_login(queue)
    page = client.get("/admin/curation/suggestion/").content.decode()
    assert "Accept selected suggestions" in page and "Decline selected suggestions" in page
    assert learner.email not in page and "Ada L." in page
    act(client, "suggestion", "accept", [first])  # a draft
    act(client, "suggestion", "accept", [second], publish="on")
    a, b = (
        Resource.objects.get(url="https://example.org/a"),
        Resource.objects.get(url="https://example.org/b"),
    )
    assert (a.status, a.topic, b.status) == ("draft", topic, "published")
    assert "Suggested by Ada L\\." in a.description and "Suggested by" not in b.description
    assert "Ada L." in a.description_html
    assert list(topic.resources.order_by("order")) == [*three, a, b]  # at the end of its topic
    first.refresh_from_db()
    assert (first.status, first.resource) == ("accepted", a)
    client.force_login(learner)
    me = client.get("/me/").content.decode()
    assert "Accepted" in me and f'href="{b.get_absolute_url()}"' in me


def test_a_curator_declines_with_a_reason_the_learner_reads(client, topic, queue):
    learner = UserFactory()
    pending = Suggestion.objects.create(
        user=learner, topic=topic, url="https://example.org/a", title="A", why="Good."
    )
    client.force_login(queue)
    refused = act(client, "suggestion", "decline", [pending]).content.decode()
    assert "Give a reason" in refused
    pending.refresh_from_db()
    assert pending.status == "pending"
    act(client, "suggestion", "decline", [pending], reason="Paywalled, and we list a free one.")
    pending.refresh_from_db()
    assert (pending.status, pending.reason) == ("declined", "Paywalled, and we list a free one.")
    client.force_login(learner)
    me = client.get("/me/").content.decode()
    assert "Declined" in me and "Paywalled, and we list a free one." in me


def test_accepting_a_url_listed_meanwhile_is_refused_and_left_pending(client, three, topic, queue):
    pending = Suggestion.objects.create(
        user=UserFactory(), topic=topic, url=three[2].url, title="Same", why="Good."
    )
    client.force_login(queue)
    page = act(client, "suggestion", "accept", [pending]).content.decode()
    assert "Not accepted" in page and "already in the roadmap" in page
    pending.refresh_from_db()
    assert pending.status == "pending" and Resource.objects.count() == 3


def test_the_queue_shows_each_url_s_other_listings_and_filters(client, three, topic, queue):
    Suggestion.objects.create(
        user=UserFactory(), topic=topic, url=three[0].url, title="Again", why="Good."
    )
    Suggestion.objects.create(
        user=UserFactory(),
        topic=topic,
        url="https://example.org/new",
        title="New",
        why="Good.",
        status="declined",
    )
    client.force_login(queue)
    page = client.get("/admin/curation/suggestion/").content.decode()
    assert f"{topic.title}: {three[0].title} (published)" in page
    pending = client.get("/admin/curation/suggestion/?status__exact=pending").content.decode()
    assert "Again" in pending and "New</a>" not in pending and ">New<" not in pending
    for query in ("kind__exact=book", f"roadmap={topic.part.roadmap_id}", "roadmap=x"):
        assert client.get(f"/admin/curation/suggestion/?{query}").status_code == 200


def test_a_learners_suggestions_go_with_their_account(client, ada, topic):
    client.post(suggest_url(topic), suggestion())
    ada.delete()
    assert not Suggestion.objects.exists()


def test_a_learners_suggestions_and_reports_are_in_their_export(client, ada, three, topic):
    client.post(suggest_url(topic), suggestion())
    client.post(f"/resources/{three[0].public_id}/report", {"problem": "wrong", "comment": "Old."})
    data = client.get("/me/export.json").json()
    assert [(s["title"], s["status"], s["why"]) for s in data["suggestions"]] == [
        ("A deep book", "pending", "Clear and free.")
    ]
    assert [s["topic"] for s in data["suggestions"]] == [topic.title]
    assert [(r["resource"], r["problem"], r["comment"]) for r in data["reports"]] == [
        ("Book 0", "wrong", "Old.")
    ]


@pytest.mark.parametrize("size", [3, 30])
def test_a_suggestion_and_a_report_take_few_queries_whatever_the_roadmap_s_size(
    client, db, size, django_assert_max_num_queries
):
    resources = resources_in_one_topic(size, title="Book ")
    client.force_login(UserFactory())
    client.get(ROADMAP)  # the content snapshot read, as any worker has it
    with django_assert_max_num_queries(5):  # session, version, URL, the day's count, insert
        answer = client.post(suggest_url(resources[0].topic), suggestion(), headers=HTMX)
    assert answer.status_code == 200 and Suggestion.objects.count() == 1
    # Session, the content's version (the resource as it is now), the insert in its savepoint.
    with django_assert_max_num_queries(5):
        client.post(f"/resources/{resources[-1].public_id}/report", {"problem": "broken"})


def test_a_learner_is_credited_and_named_by_display_name_only(client, topic, queue):
    learner = UserFactory(username="ada@example.org", display_name="")
    pending = Suggestion.objects.create(
        user=learner, topic=topic, url="https://example.org/a", title="A", why="Good.", credit=True
    )
    client.force_login(queue)
    page = client.get("/admin/curation/suggestion/").content.decode()
    assert "ada@example.org" not in page and f"Learner #{learner.pk}" in page
    act(client, "suggestion", "accept", [pending], publish="on")
    assert "Suggested by" not in Resource.objects.get(url="https://example.org/a").description


def test_accepting_takes_the_permission_to_add_resources(client, topic):
    from django.contrib.auth.models import Permission

    queue_only = StaffFactory()
    queue_only.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="curation", codename__endswith="suggestion"
        )
    )
    pending = Suggestion.objects.create(
        user=UserFactory(), topic=topic, url="https://example.org/a", title="A", why="Good."
    )
    client.force_login(queue_only)
    page = client.get("/admin/curation/suggestion/").content.decode()
    assert "Decline selected suggestions" in page and "Accept selected suggestions" not in page
    act(client, "suggestion", "accept", [pending], publish="on")
    pending.refresh_from_db()
    assert pending.status == "pending" and not Resource.objects.filter(url=pending.url).exists()


def test_an_accepted_suggestion_links_only_to_what_the_learner_can_see(client, ada, topic):
    from curation.services import suggestion_accept

    pending = Suggestion.objects.create(
        user=ada, topic=topic, url="https://example.org/a", title="Kept back", why="Good."
    )
    resource = suggestion_accept(suggestion=pending, publish=False)  # a draft
    me = client.get("/me/").content.decode()
    assert "Accepted" in me and f'href="{resource.get_absolute_url()}"' not in me


def test_a_second_click_files_nothing_more_and_says_it_is_pending(client, ada, topic):
    client.post(suggest_url(topic), suggestion(), headers=HTMX)
    again = client.post(
        suggest_url(topic), suggestion(url="http://example.org/deep-book/"), headers=HTMX
    )
    assert "suggested it for this topic already" in again.content.decode()
    assert Suggestion.objects.count() == 1
    page = client.get(suggest_url(topic), headers=HTMX).content.decode()
    assert 'hx-sync="this:drop"' in page  # with htmx, a second click is not even sent


def test_cancel_in_place_gives_the_link_back(client, ada, topic):
    answer = client.get(f"{suggest_url(topic)}?close=1", headers=HTMX).content.decode()
    assert answer.startswith('<a class="in-place" href="') and "<form" not in answer


def test_a_learner_sees_only_their_own_suggestions(client, ada, topic):
    client.post(suggest_url(topic), suggestion())
    client.force_login(UserFactory())
    me = client.get("/me/").content.decode()
    assert "Your suggestions" in me and "A deep book" not in me


def test_me_names_where_each_suggestion_was_for_only_where_the_learner_can_see_it(
    client, ada, topic
):
    from django.utils.html import escape

    from roadmap.models import Part

    client.post(suggest_url(topic), suggestion())
    place = escape(f"for {topic.place},")
    assert place in client.get("/me/").content.decode()
    Part.objects.filter(pk=topic.part_id).update(status=Part.Status.DRAFT)
    me = client.get("/me/").content.decode()
    assert "A deep book" in me and place not in me  # a draft part's name is the staff's
    curator = StaffFactory()
    Suggestion.objects.filter(user=ada).update(user=curator)
    client.force_login(curator)
    assert place in client.get("/me/").content.decode()


@pytest.mark.django_db(transaction=True)
def test_accepting_many_changes_the_content_once_a_batch(admin_client, monkeypatch):
    """Each acceptance committed on its own changed the content under every learner's tick
    in flight, on any roadmap: accepting hundreds in a row left the ticks none to land on
    (503). Now what learners read changes once a batch (twenty; two here), and another
    curator's save waits for one batch, not for all; one refused in between is said and
    left pending, the others are accepted."""
    import psycopg
    from django.db import connection
    from django.db.models.signals import post_save

    from curation import services

    monkeypatch.setattr(services, "ACCEPTED_TOGETHER", 2, raising=False)

    three = resources_in_one_topic(3, title="Book ")
    topic, learner = three[0].topic, UserFactory()
    pending = [
        Suggestion.objects.create(user=learner, topic=topic, url=url, title=f"S{n}", why="Good.")
        for n, url in enumerate(
            [
                "https://example.org/a",
                three[1].url,
                "https://example.org/c",
                "https://example.org/d",
            ]
        )
    ]
    dsn = connection.settings_dict
    learners_side = psycopg.connect(dbname=dsn["NAME"], host=dsn["HOST"], user=dsn["USER"],
                                    port=dsn["PORT"] or None, autocommit=True)  # fmt: skip

    def version() -> int:
        return learners_side.execute(
            "SELECT version FROM roadmap_content_version WHERE id = 1"
        ).fetchone()[0]

    seen = []

    def made(sender, instance, created, **kwargs):
        seen.append(version())

    before = version()
    post_save.connect(made, sender=Resource)
    try:
        page = act(admin_client, "suggestion", "accept", pending, publish="on").content.decode()
    finally:
        post_save.disconnect(made, sender=Resource)
        after = version()
        learners_side.close()
    assert seen[0] == before and seen[1] == seen[2] != before and after != seen[2]
    assert "3 accepted, as published resources." in page and "Not accepted" in page
    statuses = [s.status for s in Suggestion.objects.order_by("pk")]
    assert statuses == ["accepted", "pending", "accepted", "accepted"]


@pytest.mark.django_db(transaction=True)
def test_two_curators_accepting_the_same_suggestions_wait_for_each_other():
    """Curator A accepts S1 and S2 while B accepts S2, both while a third curator's save
    holds the content: A had S1 locked and waited for the content, B had S2 and waited for
    it, and when it came, A waited for S2 behind B: a deadlock, one curator's 500. Every
    curator's write takes the content's lock first: both finish, S2 accepted once."""
    import threading
    import time

    import psycopg
    from django.db import connection

    from curation.services import suggestions_accept

    topic, learner = resources_in_one_topic(1)[0].topic, UserFactory()
    s1, s2 = (
        Suggestion.objects.create(
            user=learner, topic=topic, url=f"https://example.org/{n}", title=f"S{n}", why="Good."
        )
        for n in (1, 2)
    )
    dsn = connection.settings_dict
    args = dict(dbname=dsn["NAME"], host=dsn["HOST"], user=dsn["USER"], port=dsn["PORT"] or None)
    editor, watch = psycopg.connect(**args), psycopg.connect(**args, autocommit=True)
    errors, said = [], []

    def accept(pks):
        def run():
            try:
                chosen = Suggestion.objects.filter(pk__in=pks)
                said.extend(suggestions_accept(suggestions=chosen, publish=True)[1])
            except Exception as error:  # what admin's action turns into a 500
                errors.append(error)
            finally:
                connection.close()

        return threading.Thread(target=run)

    def waiting(n):
        deadline = time.monotonic() + 10
        query = (  # (this test's database: another test process's may be waiting too)
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        while watch.execute(query).fetchone()[0] < n:
            assert time.monotonic() < deadline
            time.sleep(0.05)

    editor.execute("SELECT 1 FROM roadmap_content_version WHERE id = 1 FOR NO KEY UPDATE")
    a, b = accept([s1.pk, s2.pk]), accept([s2.pk])
    try:
        a.start()
        waiting(1)
        b.start()
        waiting(2)
        editor.rollback()
        a.join(30)
        b.join(30)
    finally:
        editor.close()
        watch.close()
    assert errors == []
    assert set(Suggestion.objects.values_list("status", flat=True)) == {"accepted"}
    assert [str(why) for why in said] == ["“S2” was accepted already."]
