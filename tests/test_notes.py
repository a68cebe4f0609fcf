"""Private notes: a learner's Markdown note beside each resource, theirs alone."""

import json
import re

import pytest

from roadmap.models import Note, Resource
from roadmap.services import note_save, progress_set, resource_status_set, share_link_enable
from tests.factories import (
    ResourceFactory,
    UserFactory,
)
from tests.progress_helpers import HTMX, ROADMAP, count_queries, tick


@pytest.fixture
def ada(client, three):
    ada = UserFactory(username="ada")
    client.force_login(ada)
    return ada


def note_url(resource) -> str:
    return f"/resources/{resource.public_id}/note"


def shown_note(page: str, resource) -> str | None:
    """The note shown under `resource`'s row on the roadmap page, or None."""
    start = page.index(f'id="{resource.anchor}"')
    end = page.find('<li class="resource" id=', start)
    row = page[start : end if end != -1 else None]
    found = re.search(
        r'<div class="note"><p class="note-label">Your note</p>(.*?)</div>', row, re.S
    )
    return found and found[1].strip()


def test_the_note_button_opens_an_editor_in_place(client, ada, three):
    page = client.get(ROADMAP).content.decode()
    assert page.count('Note<span class="visually-hidden"> on Book') == 3
    editor = client.get(note_url(three[0]), headers=HTMX).content.decode()
    assert "<textarea" in editor and "<html" not in editor  # a fragment, for its row
    assert 'for="note-text-' in editor and "Your note on Book 0" in editor
    assert ">Save note</button>" in editor


def test_a_note_saved_with_htmx_shows_under_its_row_and_is_announced(client, ada, three):
    answer = client.post(note_url(three[1]), {"text": "Read *twice*."}, headers=HTMX)
    html = answer.content.decode()
    assert answer.status_code == 200
    assert "<p>Read <em>twice</em>.</p>" in html
    assert 'id="progress-announcer" hx-swap-oob="innerHTML">Your note on Book 1 was saved.' in html
    page = client.get(ROADMAP).content.decode()
    assert shown_note(page, three[1]) == "<p>Read <em>twice</em>.</p>"
    assert shown_note(page, three[0]) is None


def test_without_javascript_the_note_page_saves_and_returns_to_the_row(client, ada, three):
    page = client.get(note_url(three[0])).content.decode()
    assert "<!doctype html>" in page and "Your note on Book 0" in page
    response = client.post(note_url(three[0]), {"text": "Chapter 3 first."})
    assert response.status_code == 302 and response["Location"] == f"{ROADMAP}#{three[0].anchor}"
    assert "Your note was saved." in client.get(ROADMAP).content.decode()
    assert "Chapter 3 first." in client.get(note_url(three[0])).content.decode()  # to edit


def test_without_javascript_a_note_goes_back_to_the_page_its_editor_was_opened_from(
    client, ada, three
):
    filtered = f"http://testserver{ROADMAP}?kind=book"
    page = client.get(note_url(three[0]), headers={"Referer": filtered}).content.decode()
    assert f'<input type="hidden" name="back" value="{filtered.replace("&", "&amp;")}">' in page
    assert f'href="{filtered}#{three[0].anchor}"' in page  # Cancel goes back there too
    response = client.post(note_url(three[0]), {"text": "Chapter 3 first.", "back": filtered})
    assert response.status_code == 302 and response["Location"] == f"{filtered}#{three[0].anchor}"
    # Another site's address, a page of no rows (the log-in page the editor was reached
    # through, say), or none, is no way back: the row on its roadmap.
    log_in = f"http://testserver/accounts/login/?next={note_url(three[0])}"
    for back in ("https://elsewhere.example/", log_in, "http://testserver/me/", ""):
        page = client.get(note_url(three[0]), headers={"Referer": back}).content.decode()
        assert 'name="back"' not in page
        response = client.post(note_url(three[0]), {"text": "Chapter 4.", "back": back})
        assert response["Location"] == f"{ROADMAP}#{three[0].anchor}"


ENDED = "You are not logged in any more, so this note was not saved."
TAKEN_OFF = "This resource is no longer on the roadmap, so your note was not saved."


@pytest.mark.parametrize(
    ("archived", "logged_in", "status", "said"),
    [(False, False, 403, ENDED), (True, True, 404, TAKEN_OFF), (True, False, 404, TAKEN_OFF)],
)
def test_without_javascript_a_note_not_saved_is_shown_back(
    client, ada, three, archived, logged_in, status, said
):
    """The session ended (in another tab, or it expired), or a curator took the resource
    off the roadmap while its learner wrote: nothing is saved, and the text comes back
    to copy, with a link to log in where that is why."""
    if archived:
        resource_status_set(resources=[three[0]], status=Resource.Status.ARCHIVED)
    if not logged_in:
        client.logout()
    typed = "Three pages of <careful> notes.\r\nAnd a second line."
    response = client.post(note_url(three[0]), {"text": typed})
    page = response.content.decode()
    assert response.status_code == status
    assert said in page
    assert ">Three pages of &lt;careful&gt; notes.\r\nAnd a second line.</textarea>" in page
    log_in = f'href="/accounts/login/?next=%2Fresources%2F{three[0].public_id}%2Fnote"'
    assert (log_in in page) == (not archived)
    assert (three[0].title in page) == (not archived)  # (one taken off is named nowhere)
    assert not Note.objects.exists()
    # With htmx the editor keeps the text, and the alert says so (htmx_failures).
    htmx = client.post(note_url(three[0]), {"text": typed}, headers=HTMX).status_code
    assert htmx == (404 if logged_in else 401)


def test_a_post_without_the_text_is_refused_and_the_note_kept(client, ada, three):
    note_save(user=ada, resource=three[0], text="keep me")
    for headers in (HTMX, {}):
        response = client.post(note_url(three[0]), {"txt": "typo"}, headers=headers)
        assert response.status_code == 400
    assert Note.objects.get().text == "keep me"


def test_saving_twice_leaves_one_note(client, ada, three):
    for _ in range(2):
        client.post(note_url(three[0]), {"text": "same"}, headers=HTMX)
    assert list(Note.objects.values_list("text", flat=True)) == ["same"]


def test_an_empty_note_is_deleted(client, ada, three):
    note_save(user=ada, resource=three[0], text="gone soon")
    client.post(note_url(three[0]), {"text": "  \n"})
    assert not Note.objects.exists()


def test_a_note_is_rendered_safely(client, ada, three):
    text = "<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>"
    client.post(note_url(three[0]), {"text": text}, headers=HTMX)
    page = client.get(ROADMAP).content.decode()
    shown = shown_note(page, three[0])
    assert "<script>" not in shown and "&lt;script&gt;" in shown
    assert 'href="javascript:' not in shown and "<img" not in shown


def test_a_note_over_10000_characters_is_refused_with_the_text_kept(client, ada, three):
    text = "x" * 10_001
    for headers in (HTMX, {}):
        response = client.post(note_url(three[0]), {"text": text}, headers=headers)
        html = response.content.decode()
        assert response.status_code == 200
        assert "A note can be at most 10000 characters long (this one has 10001)" in html
        assert f"{text}</textarea>" in html
    assert not Note.objects.exists()
    client.post(note_url(three[0]), {"text": "x" * 10_000})
    assert len(Note.objects.get().text) == 10_000


def test_line_breaks_count_as_one_character_as_the_textarea_counts_them(client, ada, three):
    typed = ("x" * 99 + "\r\n") * 99 + "x" * 99  # 10,000 characters to the learner
    client.post(note_url(three[0]), {"text": typed})
    assert Note.objects.get().text == typed.replace("\r\n", "\n")


def test_the_limit_counts_what_the_textarea_counts(client, ada, three):
    """A textarea's maxlength counts UTF-16 units: 5,000 emoji fill it, as on the server."""
    editor = client.get(note_url(three[0])).content.decode()
    assert re.search(r'<textarea[^>]* maxlength="10000"', editor)
    response = client.post(note_url(three[0]), {"text": "🙂" * 5_001})
    assert "A note can be at most 10000 characters long (this one has 10002)" in (
        response.content.decode()
    )
    assert not Note.objects.exists()
    client.post(note_url(three[0]), {"text": "🙂" * 5_000})
    assert Note.objects.get().text == "🙂" * 5_000


def test_a_note_joined_past_the_limit_can_still_be_edited(client, ada, three):
    """Two notes joined (two URLs that turn out to be one) may exceed the limit; the
    learner keeps editing theirs at the length it has, and can shorten it."""
    joined = "x" * 9_000 + "\n\n" + "y" * 6_000
    note_save(user=ada, resource=three[0], text=joined)
    editor = client.get(note_url(three[0])).content.decode()
    assert re.search(r'<textarea[^>]* maxlength="15002"', editor)
    edited = joined.replace("x", "z", 1)
    assert client.post(note_url(three[0]), {"text": edited}).status_code == 302
    assert Note.objects.get().text == edited
    longer = client.post(note_url(three[0]), {"text": edited + "!"})
    assert "at most 15002 characters" in longer.content.decode()
    assert Note.objects.get().text == edited
    client.post(note_url(three[0]), {"text": "short now"})
    assert Note.objects.get().text == "short now"
    # Shortened, the note is back under the ordinary limit.
    assert re.search(r'maxlength="10000"', client.get(note_url(three[0])).content.decode())


def test_the_editor_takes_focus_gives_it_back_and_says_what_went_wrong(client, ada, three):
    editor = client.get(note_url(three[0]), headers=HTMX).content.decode()
    assert re.search(r"<textarea[^>]* autofocus", editor)
    saved = client.post(note_url(three[0]), {"text": "ok"}, headers=HTMX).content.decode()
    assert re.search(r'<button class="button-link" autofocus>Note', saved)
    cancelled = client.get(note_url(three[0]) + "?close=1", headers=HTMX).content.decode()
    assert "<p>ok</p>" in cancelled and "<textarea" not in cancelled
    assert re.search(r'<button class="button-link" autofocus>Note', cancelled)
    refused = client.post(note_url(three[0]), {"text": "y" * 10_001}, headers=HTMX)
    assert 'id="progress-announcer" hx-swap-oob="innerHTML">A note can be at most' in (
        refused.content.decode()
    )
    page = client.get(ROADMAP).content.decode()
    assert " autofocus" not in page  # the page itself puts focus nowhere


def test_a_note_survives_unticking_archiving_and_unarchiving(client, ada, three):
    note_save(user=ada, resource=three[0], text="keep me")
    tick(client, three[0], done=True)
    tick(client, three[0], done=False)
    resource_status_set(resources=[three[0]], status=Resource.Status.ARCHIVED)
    assert "keep me" not in client.get(ROADMAP).content.decode()
    resource_status_set(resources=[three[0]], status=Resource.Status.PUBLISHED)
    assert shown_note(client.get(ROADMAP).content.decode(), three[0]) == "<p>keep me</p>"


def test_another_learner_can_neither_read_nor_change_a_note(client, ada, three):
    note_save(user=ada, resource=three[0], text="Ada's secret")
    assert "secret" in client.get(ROADMAP).content.decode()  # Ada's page: rendered and kept
    bob = UserFactory(username="bob")
    client.force_login(bob)
    for headers in (HTMX, {}):
        assert "secret" not in client.get(note_url(three[0]), headers=headers).content.decode()
    assert "secret" not in client.get(ROADMAP).content.decode()
    client.post(note_url(three[0]), {"text": "Bob's own"})
    assert Note.objects.get(user=ada).text == "Ada's secret"
    assert Note.objects.get(user=bob).text == "Bob's own"
    # A resource that does not count (a draft, or none at all) has no note page: 404.
    draft = ResourceFactory(topic=three[0].topic, status=Resource.Status.DRAFT)
    for url in (note_url(draft), "/resources/00000000-0000-0000-0000-000000000000/note"):
        assert client.get(url).status_code == 404
        assert client.post(url, {"text": "x"}).status_code == 404
    assert not Note.objects.filter(work__resources=draft).exists()


def test_a_visitor_is_asked_to_log_in_for_notes(client, three):
    response = client.get(note_url(three[0]))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert "Note<span" not in client.get(ROADMAP).content.decode()


def test_notes_never_reach_the_share_page_badge_or_admin(client, ada, three, admin_client):
    note_save(user=ada, resource=three[0], text="PRIVATE-NOTE-TEXT")
    progress_set(user=ada, resource=three[0], done=True)
    token = share_link_enable(user=ada).token
    own = client.get(f"/p/{token}/").content.decode()  # the owner, on their own share page
    assert "PRIVATE-NOTE-TEXT" not in own and 'class="note' not in own
    client.logout()
    for url in (f"/p/{token}/", f"/p/{token}/badge.svg"):
        assert "PRIVATE-NOTE-TEXT" not in client.get(url).content.decode()
    share = client.get(f"/p/{token}/").content.decode()
    assert "Note<span" not in share and 'class="note' not in share
    for url in (
        "/admin/",
        "/admin/roadmap/resource/",
        f"/admin/roadmap/resource/{three[0].pk}/change/",
        f"/admin/roadmap/resource/{three[0].pk}/delete/",
        f"/admin/accounts/user/{ada.pk}/change/",
        f"/admin/accounts/user/{ada.pk}/delete/",
    ):
        page = admin_client.get(url).content.decode()
        assert "PRIVATE-NOTE-TEXT" not in page and "roadmap/note" not in page


def test_notes_are_in_the_export_and_go_with_the_account(client, ada, three):
    note_save(user=ada, resource=three[0], text="with a state")
    note_save(user=ada, resource=three[1], text="on its own")
    progress_set(user=ada, resource=three[0], state="in_progress")
    data = json.loads(client.get("/me/export.json").content)
    by_title = {row["title"]: row for row in data["progress"]}
    assert by_title["Book 0"]["note"] == "with a state"
    assert by_title["Book 0"]["state"] == "in_progress" and by_title["Book 0"]["started_at"]
    assert (
        by_title["Book 1"]["note"] == "on its own" and by_title["Book 1"]["state"] == "not_started"
    )
    ada.delete()
    assert not Note.objects.exists()


def test_the_page_reads_notes_in_one_query_however_many(client, ada, three):
    more = [ResourceFactory(topic=three[0].topic) for _ in range(20)]
    client.get(ROADMAP)
    note_save(user=ada, resource=three[0], text="one")
    one = count_queries(lambda: client.get(ROADMAP))
    for resource in more:
        note_save(user=ada, resource=resource, text="many")
    assert count_queries(lambda: client.get(ROADMAP)) == one


def shown_with(html: str) -> dict[str, str]:
    """The editor's hidden fields: which note it showed (services.NoteSeen)."""
    return dict(re.findall(r'<input type="hidden" name="(work|seen)" value="([^"]*)"', html))


def test_a_note_written_before_its_resource_got_another_link_replaces_nothing_unseen(
    client, ada, three
):
    """A curator gives a resource the link of another, on which the learner has a note of
    its own: the editor shows that note (not the one of the old link, which this process
    read last); one opened before the change and sent after it saves nothing, says
    what it would replace and keeps the text, which a second save then keeps."""
    zero, one = three[0], three[1]
    note_save(user=ada, resource=zero, text="On zero.")
    note_save(user=ada, resource=one, text="On one.")
    client.get(ROADMAP)  # this process has read the content
    opened = client.get(note_url(zero)).content.decode()
    zero.url = one.url
    zero.save()
    assert "On one." in client.get(note_url(zero)).content.decode()
    sent = {"text": "On zero, edited.", **shown_with(opened)}
    answer = client.post(note_url(zero), sent, headers=HTMX)
    html = answer.content.decode()
    assert answer.status_code == 200  # the editor again, which htmx swaps in
    assert "While you wrote, this resource was given another link" in html
    assert "“On one.”" in html and "On zero, edited.</textarea>" in html
    assert Note.objects.get(user=ada, work=one.work_id).text == "On one."
    again = dict(sent, **shown_with(html))
    assert client.post(note_url(zero), again, headers=HTMX).status_code == 200
    assert Note.objects.get(user=ada, work=one.work_id).text == "On zero, edited."


def test_a_note_another_was_joined_into_meanwhile_is_not_replaced_unseen(client, ada, three):
    """The same link, but its note changed while the learner wrote (a curator joined
    another link's note into it): nothing saved, the joined text shown, the learner's
    kept. A note saved as it was shown saves."""
    zero = three[0]
    note_save(user=ada, resource=zero, text="Mine.")
    opened = client.get(note_url(zero)).content.decode()
    note_save(user=ada, resource=zero, text="Mine.\n\nJoined in.")  # as a join writes it
    sent = {"text": "Mine, edited.", **shown_with(opened)}
    html = client.post(note_url(zero), sent, headers=HTMX).content.decode()
    assert "While you wrote, your note on it changed" in html and "Joined in." in html
    # Without JavaScript: the note's page again, saying so, with the text kept.
    page = client.post(note_url(zero), sent)
    assert page.status_code == 200 and "<html" in page.content.decode()
    assert "While you wrote, your note on it changed" in page.content.decode()
    assert "Mine, edited.</textarea>" in page.content.decode()
    assert Note.objects.get(user=ada, work=zero.work_id).text == "Mine.\n\nJoined in."
    fresh = client.get(note_url(zero)).content.decode()
    saved = {"text": "Mine, edited.", **shown_with(fresh)}
    assert client.post(note_url(zero), saved, headers=HTMX).status_code == 200
    assert Note.objects.get(user=ada, work=zero.work_id).text == "Mine, edited."
