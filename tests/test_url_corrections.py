"""A curator corrects a resource's URL: no learner's state or note is lost or invented,
and moving states onto a work that has some already is a step the curator chooses,
named before it happens, and undone by setting the URL back."""

import io
import json
import threading
import time
from html import unescape

import pytest
from django.db import connection, connections, transaction
from django.db.models import F
from django.test import Client
from django.utils import timezone

from accounts.models import User
from accounts.services import account_export
from roadmap.models import (
    Note,
    Progress,
    Resource,
    Topic,
    VisitorProgress,
    Work,
    WorkJoin,
    WorkJoinEntry,
    url_key,
)
from roadmap.services import (
    note_save,
    progress_reset,
    progress_set,
    visitor_progress_merge,
    work_join,
    work_join_undo,
)
from tests.factories import (
    PartFactory,
    ResourceFactory,
    RoadmapFactory,
    TopicFactory,
    UserFactory,
    topic_page_form,
)
from tests.progress_helpers import tick, ticked

CS229 = "https://example.com/cs229"
NN = "https://nn.example/"


@pytest.fixture
def review(db):
    """The review's setup: Alice has a resource of the deep learning roadmap done with a
    note, and another roadmap's cs229 in progress with a note; Bob has the same deep
    learning resource done with a note."""
    deep = TopicFactory(part=PartFactory(roadmap=RoadmapFactory()))
    first = ResourceFactory(topic=deep, title="Neural networks", url="https://nn.example/")
    ResourceFactory.create_batch(4, topic=deep)  # 1 of 5: 20%
    other = RoadmapFactory(slug="ml", title="Machine learning", order=2)
    cs229 = ResourceFactory(topic__part__roadmap=other, title="CS229", url=CS229)
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    progress_set(user=alice, resource=first, state="done")
    note_save(user=alice, resource=first, text="Alice on NN")
    progress_set(user=alice, resource=cs229, state="in_progress")
    note_save(user=alice, resource=cs229, text="Alice on CS229")
    progress_set(user=bob, resource=first, state="done")
    note_save(user=bob, resource=first, text="Bob on NN")
    return {"first": first, "cs229": cs229, "learners": [alice, bob]}


def exports(learners) -> list[dict]:
    return [account_export(user=learner, share_url=None) for learner in learners]


def change_url(client, resource, url: str, choice: str = ""):
    """Admin's change form for `resource`, saved with `url` (and the curator's choice for
    the learners' states, if asked)."""
    resource.refresh_from_db()
    data = {
        "topic": resource.topic_id,
        "title": resource.title,
        "status": resource.status,
        "url": url,
        "kind": resource.kind,
        "level": resource.level,
        "cost": resource.cost,
        "description": resource.description,
        "order": resource.order,
        "learners_states": choice,
        "_save": "Save",
    }
    return client.post(f"/admin/roadmap/resource/{resource.pk}/change/", data)


def test_admin_names_the_join_before_anything_moves(client, curator, review):
    client.force_login(curator)
    before = exports(review["learners"])
    response = change_url(client, review["first"], CS229)
    html = response.content.decode()
    assert response.status_code == 200
    assert (
        "The new URL is listed already, and 2 learners have a state or note on the old one:"
        " keep them with the old URL, or join them (this joins 2 learners&#x27; states and"
        " notes into “//example.com/cs229” (where 1 learner has one))."
    ) in html
    review["first"].refresh_from_db()
    assert review["first"].url == "https://nn.example/"  # nothing saved
    assert exports(review["learners"]) == before


@pytest.mark.parametrize(
    ("learners", "visitors", "said"),
    [
        (1, 0, "1 learner has; 1 learner's"),
        (2, 0, "2 learners have; 2 learners'"),
        (1, 1, "1 learner and 1 visitor have; 1 learner's and 1 visitor's"),
        (0, 3, "3 visitors have; 3 visitors'"),
        (0, 0, "no one has; no one's"),
    ],
)
def test_who_a_join_meets_is_said_in_words_that_agree(learners, visitors, said):
    from roadmap.services import _people

    words = _people(learners, visitors, have=True), _people(learners, visitors, whose=True)
    assert "; ".join(words) == said


@pytest.mark.parametrize("choice", ["keep", "join"])
def test_a_url_changed_and_changed_back_leaves_every_learner_as_they_were(
    client, curator, review, choice
):
    client.force_login(curator)
    alice, bob = review["learners"]
    before = exports(review["learners"])
    assert before[0]["completion"]["deep-learning"]["percent"] == 20
    assert change_url(client, review["first"], CS229, choice).status_code == 302
    cs229 = review["cs229"].work_id
    if choice == "keep":  # apart: nobody's cs229 changed; the old URL's states wait
        assert Progress.objects.get(user=alice, work=cs229).state == "in_progress"
        assert not Progress.objects.filter(user=bob, work=cs229).exists()
    else:  # joined, as the curator chose: what counts stands, notes are joined
        assert Progress.objects.get(user=alice, work=cs229).state == "done"
        assert Progress.objects.get(user=bob, work=cs229).state == "done"
        assert Note.objects.get(user=alice, work=cs229).text == "Alice on CS229\n\nAlice on NN"
    assert change_url(client, review["first"], "https://nn.example/").status_code == 302
    assert exports(review["learners"]) == before
    assert not WorkJoin.objects.open().exists()


def test_a_url_set_back_by_way_of_another_gives_the_joined_states_back(client, curator, review):
    """Joined into cs229, then corrected to a third URL, then set back: the states and
    notes the join took come back as they were."""
    client.force_login(curator)
    before = exports(review["learners"])
    assert change_url(client, review["first"], CS229, "join").status_code == 302
    assert change_url(client, review["first"], "https://nn.example/typo").status_code == 302
    assert change_url(client, review["first"], "https://nn.example/").status_code == 302
    assert exports(review["learners"]) == before
    assert not WorkJoin.objects.open().exists()


def test_another_resource_given_the_joined_away_url_undoes_nothing(client, curator, review):
    """Only the corrected resource's own URL set back undoes its join: a resource of
    another roadmap given that URL later leaves the joined states where they are."""
    client.force_login(curator)
    bob = review["learners"][1]
    assert change_url(client, review["first"], CS229, "join").status_code == 302
    joined = exports(review["learners"])
    other = ResourceFactory(
        topic__part__roadmap=RoadmapFactory(slug="cv", order=3), url="https://cv.example/"
    )
    answer = change_url(client, other, "https://nn.example/")
    assert answer.status_code == 302
    assert "was undone" not in client.get(answer["Location"]).content.decode()
    assert WorkJoin.objects.open().count() == 1
    cs229 = review["cs229"].work_id
    assert Progress.objects.get(user=bob, work=cs229).state == "done"
    after = exports(review["learners"])[1]["completion"]
    assert {slug: after[slug] for slug in joined[1]["completion"]} == joined[1]["completion"]


def test_setting_the_url_back_says_the_join_was_undone(client, curator, review):
    client.force_login(curator)
    joined = change_url(client, review["first"], CS229, "join")
    page = client.get(joined["Location"]).content.decode()
    assert "Neural networks: this joins 2 learners&#x27; states and notes into" in page
    undone = change_url(client, review["first"], "https://nn.example/")
    page = client.get(undone["Location"]).content.decode()
    assert "its URL is set back, so the join of learners&#x27; states" in page


def test_a_change_made_after_the_join_stays_with_its_learner(client, curator, review):
    """Undoing takes back what the join did, not what learners did since."""
    client.force_login(curator)
    alice, bob = review["learners"]
    change_url(client, review["first"], CS229, "join")
    first = Resource.objects.get(pk=review["first"].pk)
    progress_set(user=bob, resource=first, state="skipped")  # Bob's row moved by the join
    progress_set(user=alice, resource=first, state="in_progress")  # Alice's met one
    change_url(client, review["first"], "https://nn.example/")
    nn = Resource.objects.get(pk=review["first"].pk).work_id
    assert Progress.objects.get(user=bob, work=nn).state == "skipped"
    assert Progress.objects.get(user=alice, work=review["cs229"].work_id).state == "in_progress"


def test_the_only_listing_corrected_to_a_new_url_takes_its_states_along_and_back(review):
    alice = review["learners"][0]
    first = review["first"]
    before = exports(review["learners"])
    first.url = "https://nn.example/book"
    first.save()
    assert Progress.objects.get(user=alice, work=first.work_id).state == "done"
    assert Work.objects.get(pk=first.work_id).url_key == "//nn.example/book"
    first.url = "https://nn.example/"
    first.save()
    assert exports(review["learners"]) == before


@pytest.fixture
def elsewhere(review):
    """A resource of the other roadmap, nobody's state on it."""
    return ResourceFactory(topic=review["cs229"].topic, url="https://other.example/")


def a_url_listed_again_elsewhere_then_set_back(client, review, elsewhere, choice: str = ""):
    """The first resource corrected to a new URL (its states go along), `elsewhere` then
    given that URL (it shows them too), and the first set back: the answer."""
    first = review["first"]
    assert change_url(client, first, "https://nn.example/book").status_code == 302
    assert change_url(client, elsewhere, "https://nn.example/book").status_code == 302
    elsewhere.refresh_from_db()
    return change_url(client, first, NN, choice)


def test_a_url_set_back_after_another_took_its_new_one_asks_before_anything_moves(
    client, curator, review, elsewhere
):
    client.force_login(curator)
    answer = a_url_listed_again_elsewhere_then_set_back(client, review, elsewhere)
    assert answer.status_code == 200
    assert (
        f"“{elsewhere.title}” also lists the old URL, and 2 learners have a state or note on"
        " it: keep them with the old URL (shown there), or take them with this resource"
        f" (2 learners' states and notes go with it to its new URL; “{elsewhere.title}”"
        " keeps the old one, with none)."
    ) in unescape(answer.content.decode())
    review["first"].refresh_from_db()
    assert review["first"].url == "https://nn.example/book"  # nothing saved


@pytest.mark.parametrize("choice", ["take", "keep"])
def test_a_url_set_back_after_another_took_its_new_one_leaves_the_states_where_chosen(
    client, curator, review, elsewhere, choice
):
    client.force_login(curator)
    before = exports(review["learners"])
    bob = review["learners"][1]
    answer = a_url_listed_again_elsewhere_then_set_back(client, review, elsewhere, choice)
    assert answer.status_code == 302
    first = Resource.objects.get(pk=review["first"].pk)
    elsewhere.refresh_from_db()
    assert first.work.url_key == "//nn.example/" and first.work_id != elsewhere.work_id
    assert elsewhere.work.url_key == "//nn.example/book"
    if choice == "take":  # as before any of it: every state and note back on the first
        assert exports(review["learners"]) == before
        assert not Progress.objects.filter(work=elsewhere.work_id).exists()
        assert not Note.objects.filter(work=elsewhere.work_id).exists()
    else:  # with the other resource, which shows them; the first starts with none
        assert Progress.objects.get(user=bob, work=elsewhere.work_id).state == "done"
        assert not Progress.objects.filter(work=first.work_id).exists()


def test_taking_states_along_after_the_urls_changed_meanwhile_changes_nothing(review, elsewhere):
    """Another curator's write between the question and the save: the new URL's work has
    a state of its own by then. Nothing is swapped, and it says so (False)."""
    from roadmap.services import work_take

    first, alice = review["first"], review["learners"][0]
    old = first.work
    first.url = "https://nn.example/book"
    first.save()
    elsewhere.url = "https://nn.example/book"
    elsewhere.save()
    first.url = NN
    first.save()  # its own new work, empty
    progress_set(user=alice, resource=first, state="in_progress")  # meanwhile
    before = exports(review["learners"])
    assert work_take(resource=first, from_work=old) is False
    assert exports(review["learners"]) == before
    assert Resource.objects.get(pk=elsewhere.pk).work_id == old.pk


def test_a_work_joined_away_is_told_as_the_last_one_its_joins_lead_to(db):
    a, b, c, d = (Work.objects.create(url_key=f"//{name}.example/") for name in "abcd")
    WorkJoin.objects.create(from_work=a, into_work=b)
    WorkJoin.objects.create(from_work=b, into_work=c)
    WorkJoin.objects.create(from_work=d, into_work=a, undone_at=timezone.now())  # undone
    assert WorkJoin.objects.now_as() == {a.pk: c.pk, b.pk: c.pk}
    WorkJoin.objects.create(from_work=c, into_work=a)  # round a circle: it ends somewhere
    assert set(WorkJoin.objects.now_as()) == {a.pk, b.pk, c.pk}


def test_a_visitors_tick_follows_the_join_and_comes_back_with_its_undoing(client, curator, review):
    """A visitor's kept state moves with a join as a learner's does (so the page still
    shows it, and sign-up still finds it), and goes back when the URL is set back."""
    visitor = Client()
    first = review["first"]
    tick(visitor, first, done=True)
    assert str(first.public_id) in ticked(
        visitor.get(first.topic.part.roadmap.get_absolute_url()).content.decode()
    )
    client.force_login(curator)
    asked = change_url(client, first, CS229).content.decode()
    assert "2 learners and 1 visitor have a state or note on the old one" in asked
    assert change_url(client, first, CS229, "join").status_code == 302
    page = visitor.get(first.topic.part.roadmap.get_absolute_url()).content.decode()
    assert str(first.public_id) in ticked(page)
    assert VisitorProgress.objects.get().work_id == review["cs229"].work_id
    assert change_url(client, first, NN).status_code == 302
    assert VisitorProgress.objects.get().work_id == Resource.objects.get(pk=first.pk).work_id
    visitor.post(
        "/accounts/signup/",
        {"username": "cy", "email": "cy@example.com", "password1": "a-long-Passphrase-42"},
    )
    cy = User.objects.get(username="cy")
    assert Progress.objects.get(user=cy).work_id == Resource.objects.get(pk=first.pk).work_id


def test_a_visitors_states_that_meet_keep_what_counts_and_come_back(client, curator, review):
    """A visitor with a state on both URLs: what counts is kept, as for a learner, and
    the undoing gives each back."""
    visitor = Client()
    tick(visitor, review["first"], done=True)
    visitor.post(f"/resources/{review['cs229'].public_id}/progress", {"state": "in_progress"})
    assert VisitorProgress.objects.count() == 2
    client.force_login(curator)
    assert change_url(client, review["first"], CS229, "join").status_code == 302
    cs229 = review["cs229"].work_id
    assert VisitorProgress.objects.get(work=cs229).state == "done"
    assert change_url(client, review["first"], NN).status_code == 302
    assert VisitorProgress.objects.get(work=cs229).state == "in_progress"
    nn = Resource.objects.get(pk=review["first"].pk).work_id
    assert VisitorProgress.objects.get(work=nn).state == "done"


def test_a_join_keeps_no_learners_text_and_forgets_a_deleted_learner(client, curator, review):
    """What a join records to be undone holds none of a note's text, and nothing of a
    learner once their account is gone; the undoing still gives each note back."""
    alice, bob = review["learners"]
    client.force_login(curator)
    assert change_url(client, review["first"], CS229, "join").status_code == 302
    record = json.dumps(list(WorkJoinEntry.objects.values("before", "after", "visitor")))
    assert "Alice on" not in record and "Bob on" not in record
    before_undo = exports([alice])
    assert change_url(client, review["first"], NN).status_code == 302
    assert Note.objects.get(user=alice, work=review["cs229"].work_id).text == "Alice on CS229"
    assert exports([alice]) != before_undo
    assert change_url(client, review["first"], CS229, "join").status_code == 302
    ids = [alice.pk, bob.pk]
    assert WorkJoinEntry.objects.filter(user__in=ids).count() == 8  # a state, a note, 2 joins
    bob.delete()
    alice.delete()
    assert WorkJoin.objects.exists()
    assert not WorkJoinEntry.objects.filter(user__in=ids).exists()


def test_deleting_a_joined_note_deletes_the_note_it_took_in(client, curator, review):
    """A learner who deletes a note the join made of two deletes both: nothing they wrote
    in it stays where no page shows it, and the undoing brings none of it back."""
    alice = review["learners"][0]
    client.force_login(curator)
    assert change_url(client, review["first"], CS229, "join").status_code == 302
    note_save(user=alice, resource=review["cs229"], text="")
    assert not Note.objects.filter(user=alice).exists()
    assert change_url(client, review["first"], NN).status_code == 302
    assert not Note.objects.filter(user=alice).exists()


def test_starting_a_part_over_with_its_notes_deletes_the_notes_joined_into_them(
    client, curator, review
):
    alice = review["learners"][0]
    client.force_login(curator)
    assert change_url(client, review["first"], CS229, "join").status_code == 302
    progress_reset(user=alice, part=review["cs229"].topic.part, notes=True)
    assert not Note.objects.filter(user=alice).exists()


A, B, C, D = (f"https://{x}.example/" for x in "abcd")


@pytest.fixture
def chain(db):
    """r1, r2 and r3 in roadmaps of their own, at A, B and C."""
    found = {}
    for i, (name, url) in enumerate((("r1", A), ("r2", B), ("r3", C))):
        roadmap = RoadmapFactory(slug=f"rm{i}", title=f"Roadmap {i}", order=10 + i)
        found[name] = ResourceFactory(topic__part__roadmap=roadmap, title=name, url=url)
    return found


def test_joins_undone_out_of_order_give_the_notes_back(client, curator, chain):
    lea = UserFactory(username="lea")
    for name, text in (("r1", "a"), ("r2", "b"), ("r3", "c")):
        note_save(user=lea, resource=chain[name], text=text)
    client.force_login(curator)
    assert change_url(client, chain["r1"], B, "join").status_code == 302
    assert change_url(client, chain["r2"], D).status_code == 302  # r1 alone on B's work
    assert change_url(client, chain["r1"], C, "join").status_code == 302
    assert change_url(client, chain["r1"], A).status_code == 302  # undoes the first
    assert change_url(client, chain["r1"], B).status_code == 302  # undoes the second
    assert not WorkJoin.objects.open().exists()
    texts = dict(Note.objects.filter(user=lea).values_list("work", "text"))
    assert texts[chain["r3"].work_id] == "c"


def test_setting_back_a_url_whose_work_took_in_another_join_since_is_refused_and_said(
    client, curator, chain
):
    """r1 and then r3 were corrected to B's URL, each joining its learners' states into
    B's: setting r1 back first would carry what r3's join made of them back to A. The
    form says to set r3 back first, and nothing changes; in that order both undo."""
    lea = UserFactory(username="lea")
    progress_set(user=lea, resource=chain["r1"], state="in_progress")
    progress_set(user=lea, resource=chain["r3"], state="done")
    a_work, c_work = chain["r1"].work_id, chain["r3"].work_id
    client.force_login(curator)
    assert change_url(client, chain["r1"], B, "join").status_code == 302
    assert change_url(client, chain["r3"], B, "join").status_code == 302
    joined = list(Progress.objects.filter(user=lea).values_list("work", "state"))
    refused = change_url(client, chain["r1"], A)
    assert refused.status_code == 200
    assert (
        "Setting this URL back would undo the join of learners' states into"
        f" “{Work.objects.get(pk=chain['r2'].work_id)}”, but those of “r3” were joined into it"
        " since: set its URL back first, then this one."
    ) in unescape(refused.content.decode())
    assert Resource.objects.get(pk=chain["r1"].pk).url == B
    assert list(Progress.objects.filter(user=lea).values_list("work", "state")) == joined
    assert change_url(client, chain["r3"], C).status_code == 302
    assert change_url(client, chain["r1"], A).status_code == 302
    assert dict(Progress.objects.filter(user=lea).values_list("work", "state")) == {
        a_work: "in_progress",
        c_work: "done",
    }


def test_deleting_a_note_a_second_join_moved_deletes_what_the_first_took_in(client, curator, chain):
    lea = UserFactory(username="lea")
    note_save(user=lea, resource=chain["r1"], text="on A")
    note_save(user=lea, resource=chain["r2"], text="on B")
    client.force_login(curator)
    assert change_url(client, chain["r1"], B, "join").status_code == 302  # A's meets B's
    assert change_url(client, chain["r2"], D).status_code == 302
    assert change_url(client, chain["r1"], C, "join").status_code == 302  # B's moves to C
    assert Note.objects.get(user=lea, work=chain["r3"].work_id).text == "on B\n\non A"
    note_save(user=lea, resource=chain["r3"], text="")
    assert not Note.objects.filter(user=lea).exists()


def test_deleting_a_note_whose_joined_note_moved_leaves_a_later_note_on_the_old_url(
    client, curator, chain
):
    """A moved note leaves nothing behind: a note written later where the old URL is
    listed again is another note, and stays."""
    lea = UserFactory(username="lea")
    note_save(user=lea, resource=chain["r1"], text="on A")
    client.force_login(curator)
    assert change_url(client, chain["r1"], B, "join").status_code == 302  # moves A's to B
    assert change_url(client, chain["r3"], A).status_code == 302  # r3 lists A's work
    r3 = Resource.objects.get(pk=chain["r3"].pk)
    note_save(user=lea, resource=r3, text="my note on r3")
    note_save(user=lea, resource=Resource.objects.get(pk=chain["r1"].pk), text="")
    assert list(Note.objects.filter(user=lea).values_list("text", flat=True)) == ["my note on r3"]


def test_a_join_made_before_the_secret_changed_is_undone_whole(client, curator, review, settings):
    """With the old secret kept as a fallback, as Django's rotation asks."""
    visitor = Client()
    tick(visitor, review["first"], done=True)
    before = exports(review["learners"])
    client.force_login(curator)
    assert change_url(client, review["first"], CS229, "join").status_code == 302
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "another secret key, long and random enough for the tests' sake"
    client.force_login(curator)
    assert change_url(client, review["first"], NN).status_code == 302
    assert exports(review["learners"]) == before
    assert (
        VisitorProgress.objects.get().work_id == Resource.objects.get(pk=review["first"].pk).work_id
    )


def test_a_visitors_tick_kept_at_sign_up_after_a_join_goes_back_with_its_undoing(
    client, curator, review
):
    visitor = Client()
    tick(visitor, review["first"], done=True)
    client.force_login(curator)
    assert change_url(client, review["first"], CS229, "join").status_code == 302
    visitor.post(
        "/accounts/signup/",
        {"username": "cy", "email": "cy@example.com", "password1": "a-long-Passphrase-42"},
    )
    cy = User.objects.get(username="cy")
    assert Progress.objects.get(user=cy).work_id == review["cs229"].work_id
    assert change_url(client, review["first"], NN).status_code == 302  # undone
    nn = Resource.objects.get(pk=review["first"].pk).work_id
    assert Progress.objects.get(user=cy).work_id == nn


def test_a_visitors_tick_two_joins_moved_goes_back_with_both_undoings_after_sign_up(
    client, curator, chain
):
    visitor = Client()
    tick(visitor, chain["r1"], done=True)
    a_work = chain["r1"].work_id
    client.force_login(curator)
    assert change_url(client, chain["r1"], B, "join").status_code == 302
    assert change_url(client, chain["r2"], D).status_code == 302  # r1 alone on B's work
    assert change_url(client, chain["r1"], C, "join").status_code == 302
    visitor.post(
        "/accounts/signup/",
        {"username": "cy", "email": "cy@example.com", "password1": "a-long-Passphrase-42"},
    )
    cy = User.objects.get(username="cy")
    assert change_url(client, chain["r1"], B).status_code == 302  # undoes the second
    assert change_url(client, chain["r1"], A).status_code == 302  # and the first
    assert Progress.objects.get(user=cy).work_id == a_work


@pytest.mark.parametrize("bobs", ["moved, then unticked", "met, then started over"])
def test_a_learner_who_logs_in_as_the_visitor_a_join_met_gets_its_values_back(
    client, curator, review, bobs
):
    """The join met a visitor's row (and moved Bob's tick, or met Bob's rows too). Bob
    unticks (or starts over), then logs in from that browser and keeps its states:
    undoing the join gives back the visitor's values, Bob's now, not those of the rows
    Bob cleared."""
    met = bobs.startswith("met")  # Bob's own rows
    bob = review["learners"][1]
    if met:
        progress_set(user=bob, resource=review["cs229"], state="in_progress")
    visitor = Client()
    tick(visitor, review["first"], done=True)
    visitor.post(f"/resources/{review['cs229'].public_id}/progress", {"state": "in_progress"})
    client.force_login(curator)
    assert change_url(client, review["first"], CS229, "join").status_code == 302
    cs229 = review["cs229"].work_id
    assert Progress.objects.filter(user=bob, work=cs229).exists()
    if met:
        progress_reset(user=bob)
    else:
        joined = Resource.objects.get(pk=review["first"].pk)
        progress_set(user=bob, resource=joined, state="not_started")
    visitor.post("/accounts/login/", {"login": "bob", "password": "correct horse battery staple"})
    assert Progress.objects.get(user=bob, work=cs229).state == "done"
    assert change_url(client, review["first"], NN).status_code == 302
    assert Progress.objects.get(user=bob, work=cs229).state == "in_progress"


def test_nothing_a_join_named_of_a_visitor_outlives_their_sign_up_or_their_session(
    client, curator, review
):
    """A visitor is named in a join's entries only while their session lasts: at log-in
    (their states kept in the account, or not where it had its own) the entries naming
    them go, and the daily prune takes those of every session gone, with states left or
    none (an untick). A visitor still here keeps theirs."""
    from django.core.management import call_command

    from accounts.models import Session as StoredSession

    signs_up, expires, unticks, stays = (Client() for _ in range(4))
    for visitor in (signs_up, expires, unticks, stays):
        tick(visitor, review["first"], done=True)
        if visitor is not unticks:  # whose row the join moves; the others', it meets
            visitor.post(
                f"/resources/{review['cs229'].public_id}/progress", {"state": "in_progress"}
            )
    client.force_login(curator)
    assert change_url(client, review["first"], CS229, "join").status_code == 302
    assert WorkJoinEntry.objects.exclude(visitor="").count() == 4
    signs_up.post(
        "/accounts/login/", {"login": "alice", "password": "correct horse battery staple"}
    )
    assert WorkJoinEntry.objects.exclude(visitor="").count() == 3
    tick(unticks, review["cs229"], done=False)  # no state left
    assert not VisitorProgress.objects.filter(visitor=unticks.session.session_key).exists()
    StoredSession.objects.filter(
        session_key__in=[expires.session.session_key, unticks.session.session_key]
    ).update(expire_date="2000-01-01T00:00:00Z")
    out = io.StringIO()
    call_command("prune_sessions", stdout=out)
    assert "and 2 entries of joins that named visitors gone" in out.getvalue()
    assert list(VisitorProgress.objects.values_list("visitor", flat=True).distinct()) == [
        stays.session.session_key
    ]
    assert WorkJoinEntry.objects.exclude(visitor="").count() == 1
    assert change_url(client, review["first"], NN).status_code == 302  # undone: still theirs
    nn = Resource.objects.get(pk=review["first"].pk).work_id
    assert VisitorProgress.objects.get(work=review["cs229"].work_id).state == "in_progress"
    assert VisitorProgress.objects.get(work=nn).state == "done"


def test_a_log_in_whose_visitor_no_join_named_takes_no_join_back(client, review):
    """No join named the visitor, nor met a work they have a row on: the learner's joins
    are looked at once, and none is taken back or made again; what a join named of the
    visitor is deleted, in one statement."""
    from django.test.utils import CaptureQueriesContext

    visitor = Client()
    tick(visitor, review["first"], done=True)
    with CaptureQueriesContext(connection) as queries:
        visitor.post(
            "/accounts/login/", {"login": "alice", "password": "correct horse battery staple"}
        )
    assert visitor.session.get("_auth_user_id") == str(review["learners"][0].pk)
    joins = [q["sql"] for q in queries if "roadmap_workjoin" in q["sql"]]
    assert len(joins) == 2
    assert joins[0].startswith("SELECT") and "FOR UPDATE" not in joins[0]
    assert joins[1].startswith("DELETE FROM roadmap_workjoinentry WHERE visitor")


def test_joins_made_at_one_instant_are_followed_back_all_the_same(client, curator, chain):
    """Which join came first is the order they were made in, not the clock's."""
    lea = UserFactory(username="lea")
    note_save(user=lea, resource=chain["r1"], text="on A")
    note_save(user=lea, resource=chain["r2"], text="on B")
    client.force_login(curator)
    assert change_url(client, chain["r1"], B, "join").status_code == 302
    assert change_url(client, chain["r2"], D).status_code == 302
    assert change_url(client, chain["r1"], C, "join").status_code == 302
    WorkJoin.objects.update(created_at=WorkJoin.objects.earliest("pk").created_at)
    note_save(user=lea, resource=chain["r3"], text="")
    assert not Note.objects.filter(user=lea).exists()


def test_a_tick_redone_after_a_join_goes_back_with_its_undoing_a_visitors_as_a_learners(
    client, curator, chain
):
    lea, visitor = UserFactory(username="lea"), Client()
    progress_set(user=lea, resource=chain["r1"], state="done")
    tick(visitor, chain["r1"], done=True)
    client.force_login(curator)
    assert change_url(client, chain["r1"], B, "join").status_code == 302
    r1 = Resource.objects.get(pk=chain["r1"].pk)
    for done in (False, True):  # unticked and ticked again: rows of their own
        progress_set(user=lea, resource=r1, state="done" if done else "not_started")
        tick(visitor, r1, done=done)
    assert change_url(client, chain["r1"], A).status_code == 302  # undone
    a_work = Resource.objects.get(pk=chain["r1"].pk).work_id
    assert Progress.objects.get(user=lea).work_id == a_work
    assert VisitorProgress.objects.get().work_id == a_work


@pytest.mark.parametrize("write", ["update", "bulk_update"])
def test_a_url_set_back_in_bulk_undoes_its_join_as_a_save_does(client, curator, review, write):
    before = exports(review["learners"])
    client.force_login(curator)
    assert change_url(client, review["first"], CS229, "join").status_code == 302
    first = Resource.objects.get(pk=review["first"].pk)
    if write == "update":
        Resource.objects.filter(pk=first.pk).update(url=NN)
    else:
        first.url = NN
        Resource.objects.bulk_update([first], ["url"])
    assert exports(review["learners"]) == before
    assert not WorkJoin.objects.open().exists()


def wait_until_blocked(query_start: str) -> None:
    """Until another connection waits on a lock with a query starting so."""
    for _ in range(500):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND datname = current_database() AND query LIKE %s",
                [f"%{query_start}%"],
            )
            if cursor.fetchone()[0]:
                return
        time.sleep(0.01)
    raise AssertionError(f"nothing waited on a lock: {query_start}")


def in_thread(target) -> threading.Thread:
    def run() -> None:
        try:
            target()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


# A learner's write while a curator's save re-points the resource: what it posts, the
# start of the statement that waits for the save, and where the write is found after.
WRITES_DURING_A_SAVE = {
    "tick": ("progress", {"done": "1"}, "WITH current AS", Progress),
    "note": ("note", {"text": "mid-edit"}, "FOR NO KEY UPDATE", Note),
    "visitor's tick": ("progress", {"done": "1"}, "WITH listed AS", VisitorProgress),
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("write", WRITES_DURING_A_SAVE)
def test_a_write_during_a_save_that_repoints_the_resource_lands_where_it_shows(client, write):
    """The curator's save re-points the resource at another work while a learner ticks it
    or saves a note on it: the write waits for the save and lands on the work the page
    now shows."""
    endpoint, data, waiting, model = WRITES_DURING_A_SAVE[write]
    topic = TopicFactory(part=PartFactory(roadmap=RoadmapFactory()))
    first = ResourceFactory(topic=topic, url="https://nn.example/")
    ResourceFactory(topic__part__roadmap=RoadmapFactory(slug="ml", order=2), url=CS229)
    learner = UserFactory()
    if model is not VisitorProgress:
        client.force_login(learner)
    client.get("/roadmaps/deep-learning/")  # the process reads this content
    saved, go_on = threading.Event(), threading.Event()

    def curator_saves() -> None:
        with transaction.atomic():
            resource = Resource.objects.get(pk=first.pk)
            resource.url = CS229
            resource.save()
            saved.set()
            go_on.wait(10)

    curator = in_thread(curator_saves)
    saved.wait(10)
    answers = []
    writing = in_thread(
        lambda: answers.append(client.post(f"/resources/{first.public_id}/{endpoint}", data))
    )
    wait_until_blocked(waiting)
    go_on.set()
    curator.join(10)
    writing.join(10)
    assert answers[0].status_code == 302
    first.refresh_from_db()
    assert model.objects.get().work_id == first.work_id
    assert Work.objects.get(pk=first.work_id).url_key == "//example.com/cs229"


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_renames_to_one_url_never_fail_the_save():
    """Two resources, each its work's only listing, corrected at once to one new URL: the
    second save finds the first's work and lists it, instead of an IntegrityError."""
    one, two = ResourceFactory(url="https://a.example/"), ResourceFactory(url="https://b.example/")
    saved, go_on = threading.Event(), threading.Event()
    errors = []

    def rename(resource, hold: bool) -> None:
        try:
            with transaction.atomic():
                resource = Resource.objects.get(pk=resource.pk)
                resource.url = "https://same.example/"
                resource.save()
                if hold:
                    saved.set()
                    go_on.wait(10)
        except Exception as error:  # the test reports any
            errors.append(error)

    first = in_thread(lambda: rename(one, True))
    saved.wait(10)
    second = in_thread(lambda: rename(two, False))
    wait_until_blocked("UPDATE")
    go_on.set()
    first.join(10)
    second.join(10)
    assert errors == []
    one.refresh_from_db()
    two.refresh_from_db()
    assert one.work_id == two.work_id
    assert Work.objects.get(pk=one.work_id).url_key == "//same.example/"


def test_the_topic_page_asks_too_and_joins_as_chosen(client, curator, review):
    """Resources edited inline on their topic's page meet the same question."""
    client.force_login(curator)
    bob = review["learners"][1]
    topic = review["first"].topic
    resources = list(topic.resources.order_by("order"))
    data = topic_page_form(topic, resources)
    first = resources.index(review["first"])
    data[f"resources-{first}-url"] = CS229
    page = f"/admin/roadmap/topic/{topic.pk}/change/"
    asked = client.post(page, data)
    assert asked.status_code == 200
    assert "this joins 2 learners&#x27; states and notes into" in asked.content.decode()
    assert not Progress.objects.filter(user=bob, work=review["cs229"].work_id).exists()
    data[f"resources-{first}-learners_states"] = "join"
    assert client.post(page, data).status_code == 302
    assert Progress.objects.get(user=bob, work=review["cs229"].work_id).state == "done"


def test_a_join_another_curator_made_impossible_meanwhile_is_not_made_and_said(
    client, curator, review, monkeypatch
):
    """The curator chose to join the states of a resource's old URL into its new one, but
    meanwhile another curator listed the old URL elsewhere: its learners' states stay
    where they are, and the page says so."""
    from roadmap.admin import OrderedAdmin

    saved = OrderedAdmin.save_model

    def and_meanwhile(self, request, obj, form, change) -> None:
        saved(self, request, obj, form, change)
        ResourceFactory(topic__part__roadmap=RoadmapFactory(slug="elsewhere"), url=NN)

    monkeypatch.setattr(OrderedAdmin, "save_model", and_meanwhile)
    client.force_login(curator)
    bob = review["learners"][1]
    response = change_url(client, review["first"], CS229, "join")
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert "the URLs changed meanwhile, so no learners&#x27; states were joined" in page
    assert not Progress.objects.filter(user=bob, work=review["cs229"].work_id).exists()
    assert Progress.objects.get(user=bob, work=review["first"].work_id).state == "done"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("meanwhile", ["joins r3 into B", "retitles r2, on B"])
def test_a_save_meanwhile_waits_for_a_url_set_back_and_neither_fails(monkeypatch, meanwhile):
    """A curator sets r1's URL back to A (its join into B is to be undone; the form's
    check takes the content's write lock) while another joins r3's states into B, or
    retitles r2, on B: that save waits for the first, so the check that no later join
    came into B holds until it is saved, and neither fails nor deadlocks."""
    from roadmap.admin import OrderedAdmin

    r1, r2, r3 = three_resources()
    a_work, b_work, c_work = r1.work_id, r2.work_id, r3.work_id
    lea, curator = UserFactory(username="lea"), UserFactory(is_staff=True, is_superuser=True)
    progress_set(user=lea, resource=r1, state="in_progress")
    progress_set(user=lea, resource=r3, state="done")
    first = Client(raise_request_exception=False)
    first.force_login(curator)
    assert change_url(first, r1, B, "join").status_code == 302
    checked, go_on, answers, errors = threading.Event(), threading.Event(), [], []
    saved = OrderedAdmin.save_model

    def after_the_check(self, request, obj, form, change) -> None:
        checked.set()
        go_on.wait(10)
        saved(self, request, obj, form, change)

    monkeypatch.setattr(OrderedAdmin, "save_model", after_the_check)

    def write() -> None:
        try:
            with transaction.atomic():
                if meanwhile.startswith("joins"):
                    r3.url = B
                    r3.save()
                    b = Work.objects.get(pk=b_work)
                    work_join(from_work=Work.objects.get(pk=c_work), into_work=b)
                else:
                    other = Resource.objects.get(pk=r2.pk)
                    other.title = "Renamed"
                    other.save()
        except Exception as error:
            errors.append(error)

    setting_back = in_thread(lambda: answers.append(change_url(first, r1, A).status_code))
    assert checked.wait(10)
    writing = in_thread(write)
    wait_until_blocked("roadmap_content_version")  # the other save waits for r1's
    go_on.set()
    setting_back.join(15)
    writing.join(15)
    assert (answers, errors) == ([302], [])
    assert Resource.objects.get(pk=r1.pk).url == A
    joined = meanwhile.startswith("joins")
    assert dict(Progress.objects.filter(user=lea).values_list("work", "state")) == {
        a_work: "in_progress",
        b_work if joined else c_work: "done",
    }


def saved_with_url(resource, url: str, errors: list, first=None) -> None:
    """`resource` saved with `url` in a transaction of its own, after `first`; what it
    failed with, into `errors`."""
    try:
        with transaction.atomic():
            if first:
                first()
            resource = Resource.objects.get(pk=resource.pk)
            resource.url = url
            resource.save()
    except Exception as error:  # what the admin would answer, a 500
        errors.append(error)


@pytest.mark.django_db(transaction=True)
def test_a_topic_page_re_pointing_a_row_while_another_save_points_there_never_deadlocks():
    """A topic's page saves the topic, then its rows, one pointing at Y's URL; meanwhile
    another resource is pointed at Y: one waits for the other."""
    ResourceFactory(topic__part__roadmap=RoadmapFactory(slug="y", order=20), url=D)
    r1, r2 = (
        ResourceFactory(topic__part__roadmap=RoadmapFactory(slug=f"m{n}", order=30 + n))
        for n in range(2)
    )
    saved_topic, go_on, errors = threading.Event(), threading.Event(), []

    def topic_first() -> None:
        Topic.objects.get(pk=r1.topic_id).save()  # as admin's save_model, before the rows
        saved_topic.set()
        go_on.wait(10)

    one = in_thread(lambda: saved_with_url(r1, D, errors, first=topic_first))
    assert saved_topic.wait(10)
    two = in_thread(lambda: saved_with_url(r2, D, errors))
    wait_until_blocked("roadmap_content_version")
    go_on.set()
    one.join(15)
    two.join(15)
    assert errors == []


@pytest.mark.django_db(transaction=True)
def test_a_url_set_back_by_way_of_another_while_its_joined_work_is_re_pointed_never_deadlocks(
    monkeypatch,
):
    """r1 went A→B with a join, then to D; set back to A, its join is undone, while
    another curator re-points r2, on B: one waits for the other, and Lea's tick is on A."""
    from roadmap import services

    r1, r2, _ = three_resources()
    lea = UserFactory(username="lea")
    progress_set(user=lea, resource=r1, state="done")
    a_work = r1.work
    r1.url = B
    r1.save()
    work_join(from_work=a_work, into_work=r2.work, resource=r1)
    r1.url = D
    r1.save()
    checked = services.work_join_undo_refused
    undoing, go_on, errors = threading.Event(), threading.Event(), []

    def paused(**kwargs):
        undoing.set()
        go_on.wait(10)
        return checked(**kwargs)

    monkeypatch.setattr(services, "work_join_undo_refused", paused)
    setting_back = in_thread(lambda: saved_with_url(r1, A, errors))
    assert undoing.wait(10)
    correcting = in_thread(lambda: saved_with_url(r2, "https://e.example/", errors))
    wait_until_blocked("roadmap_content_version")
    go_on.set()
    setting_back.join(15)
    correcting.join(15)
    assert errors == []
    assert Progress.objects.get(user=lea).work_id == a_work.pk


def test_a_url_written_in_bulk_lists_its_work_as_a_save_would(review):
    """`.update(url=...)` and `bulk_update(..., ["url"])` (a script's): the resource lists
    the work of its new URL, so one URL shows one state everywhere; the only listing of a
    work corrected to a new URL takes it along, with its learners' states, as a save
    does."""
    alice = review["learners"][0]
    first, cs229 = review["first"], review["cs229"]
    Resource.objects.filter(pk=first.pk).update(url=CS229)
    assert Resource.objects.get(pk=first.pk).work_id == cs229.work_id
    assert Progress.objects.get(user=alice, work=cs229.work_id).state == "in_progress"
    first.refresh_from_db()
    first.url = "https://elsewhere.example/"
    Resource.objects.bulk_update([first], ["url"])
    first.refresh_from_db()
    assert first.work == Work.objects.get(url_key=url_key("https://elsewhere.example/"))
    # cs229's only listing now, corrected in bulk: its work, and Alice's state, follow.
    cs229.refresh_from_db()
    cs229.url = "https://example.com/cs229-corrected"
    Resource.objects.bulk_update([cs229], ["url"])
    cs229.refresh_from_db()
    assert cs229.work.url_key == url_key("https://example.com/cs229-corrected")
    assert Progress.objects.get(user=alice, work=cs229.work_id).state == "in_progress"
    with pytest.raises(TypeError):  # an expression's URL: no work to find from it
        Resource.objects.filter(pk=first.pk).update(url=F("title"))


@pytest.mark.django_db(transaction=True)
def test_two_browsers_logging_in_to_one_account_at_once_never_fail():
    """Two visitors' browsers log in to one account at the same moment, each with states
    a chain of joins moved: they take their turns over the joins, and both log in."""
    a, b, c = three_resources()
    one, two = Client(), Client()
    tick(one, a, done=True)
    tick(two, a, done=True)
    tick(two, c, done=True)
    work_join(from_work=a.work, into_work=b.work)
    work_join(from_work=b.work, into_work=c.work)
    tick(two, c, done=False)
    lea = UserFactory(username="lea")
    assert log_ins_at_once(lea, one, two) == []
    assert WorkJoinEntry.objects.filter(user=lea).count() == 2


def log_ins_at_once(learner, one: Client, two: Client) -> list[Exception]:
    """The browsers `one` and `two` log in to `learner` at the same moment: the second
    while the first has merged and not yet committed. What either failed with."""
    held, go_on, errors = threading.Event(), threading.Event(), []

    def log_in(browser, hold: bool) -> None:
        try:
            with transaction.atomic():
                visitor_progress_merge(user=learner, session=browser.session)
                if hold:
                    held.set()
                    go_on.wait(10)
        except Exception as error:  # what the log-in would answer, a 500
            errors.append(error)

    first = in_thread(lambda: log_in(one, True))
    assert held.wait(10)
    second = in_thread(lambda: log_in(two, False))
    wait_until_blocked("pg_advisory_xact_lock")  # the second waits for the first
    go_on.set()
    first.join(10)
    second.join(10)
    return errors


def test_a_chain_of_joins_leaves_a_learners_own_row_to_its_own_undoing(chain):
    """Bob and a visitor had rows on A and B, met by the join A→B; the join B→C moved the
    visitor's B row and met Bob's. Bob clears A and C, then logs in as the visitor and
    keeps its A and C: his row on B is still his own, and undoing A→B gives it back."""
    r1, r2, r3 = chain["r1"], chain["r2"], chain["r3"]
    bob, visitor = UserFactory(username="bob"), Client()
    for resource, state in ((r1, "done"), (r2, "in_progress"), (r3, "in_progress")):
        progress_set(user=bob, resource=resource, state=state)
    tick(visitor, r1, done=True)
    visitor.post(f"/resources/{r2.public_id}/progress", {"state": "in_progress"})
    first = work_join(from_work=r1.work, into_work=r2.work)
    work_join(from_work=r2.work, into_work=r3.work)
    progress_set(user=bob, resource=r3, state="not_started")
    progress_set(user=bob, resource=r1, state="not_started")
    visitor_progress_merge(user=bob, session=visitor.session)
    work_join_undo(join=first)
    assert Progress.objects.get(user=bob, work=r2.work).state == "in_progress"


@pytest.mark.django_db(transaction=True)
def test_a_log_in_while_a_curator_undoes_two_joins_never_deadlocks():
    """A curator's save undoes two joins in one transaction while a visitor named in both
    logs in: one waits for the other, neither fails."""
    a, b, e, f = (
        ResourceFactory(topic__part__roadmap=RoadmapFactory(slug=f"r{n}", order=10 + n), url=url)
        for n, url in enumerate(
            ("https://a.example/", "https://b.example/", "https://e.example/", "https://f.example/")
        )
    )
    visitor = Client()
    tick(visitor, a, done=True)
    tick(visitor, e, done=True)
    first = work_join(from_work=a.work, into_work=b.work)
    tick(visitor, b, done=False)  # the row the first join moved, gone; its entry stays
    second = work_join(from_work=e.work, into_work=f.work)
    lea = UserFactory(username="lea")
    held, go_on, errors = threading.Event(), threading.Event(), []

    def curator_saves() -> None:
        try:
            with transaction.atomic():
                work_join_undo(join=first)
                held.set()
                go_on.wait(10)
                work_join_undo(join=second)
        except Exception as error:  # a deadlock, as the curator would meet it
            errors.append(("save", error))

    def log_in() -> None:
        try:
            with transaction.atomic():
                visitor_progress_merge(user=lea, session=visitor.session)
        except Exception as error:  # a deadlock, as the visitor would meet it
            errors.append(("log-in", error))

    saving = in_thread(curator_saves)
    assert held.wait(10)
    logging_in = in_thread(log_in)
    done_or_waiting(logging_in)  # on the save
    go_on.set()
    saving.join(10)
    logging_in.join(10)
    assert errors == []
    assert Progress.objects.get(user=lea).work_id == e.work_id  # and the undo took it back


def done_or_waiting(thread: threading.Thread) -> None:
    """Until `thread` is done, or a connection waits on a lock."""
    for _ in range(500):
        if not thread.is_alive() or locks_waited_on():
            return
        time.sleep(0.01)


def locks_waited_on() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            " AND datname = current_database()"
        )
        return cursor.fetchone()[0]


def three_resources() -> list[Resource]:
    return [
        ResourceFactory(topic__part__roadmap=RoadmapFactory(slug=f"r{n}", order=10 + n), url=url)
        for n, url in enumerate((A, B, C))
    ]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("paused_in", ["_joins_met", "progress_merge"])
def test_a_curators_undoing_during_a_log_in_never_fails_either(monkeypatch, paused_in):
    """A log-in takes the joins first, then the visitor's rows, then the learner's, as a
    curator's undoing does: paused before it has any (the undoing goes first) or once it
    has them all (the undoing waits), neither fails, and the visitor's tick is on A."""
    from roadmap import services

    a, b, _ = three_resources()
    visitor = Client()
    tick(visitor, a, done=True)
    join = work_join(from_work=a.work, into_work=b.work)  # moves the visitor's row to B
    lea = UserFactory(username="lea")
    pausing, go_on, errors = threading.Event(), threading.Event(), []
    step = getattr(services, paused_in)

    def paused(**kwargs):
        pausing.set()
        go_on.wait(10)
        return step(**kwargs)

    monkeypatch.setattr(services, paused_in, paused)

    def log_in() -> None:
        try:
            visitor_progress_merge(user=lea, session=visitor.session)
        except Exception as error:
            errors.append(("log-in", error))

    def curator_undoes() -> None:
        try:
            work_join_undo(join=join)
        except Exception as error:  # the admin's save would answer 500
            errors.append(("curator", error))

    logging_in = in_thread(log_in)
    assert pausing.wait(10)
    undoing = in_thread(curator_undoes)
    done_or_waiting(undoing)  # on the log-in
    go_on.set()
    logging_in.join(15)
    undoing.join(15)
    assert errors == []
    assert list(Progress.objects.filter(user=lea).values_list("work", "state")) == [
        (a.work_id, "done")
    ]


@pytest.mark.django_db(transaction=True)
def test_two_log_ins_to_one_account_whose_visitors_joins_met_in_one_work_never_fail():
    """Visitor 1's A and visitor 2's C were each moved into B by a join of its own. Both
    browsers log in to Lea at once: the second waits for the first, and Lea has B's row
    as the two joins made it."""
    a, b, c = three_resources()
    one, two = Client(), Client()
    tick(one, a, done=True)
    two.post(f"/resources/{c.public_id}/progress", {"state": "in_progress"})
    work_join(from_work=a.work, into_work=b.work)
    work_join(from_work=c.work, into_work=b.work)
    lea = UserFactory(username="lea")
    assert log_ins_at_once(lea, one, two) == []
    assert Progress.objects.get(user=lea, work=b.work).state == "done"


def test_a_log_in_that_a_deadlock_ends_tries_again_and_keeps_the_visitors_states(
    client, review, monkeypatch
):
    """PostgreSQL ends one of two transactions that take the same rows the other way
    round (a log-in, and a curator's save undoing joins): a log-in it ends tries again,
    and the visitor's states are in the account, not lost with the old session."""
    from django.db import OperationalError
    from psycopg.errors import DeadlockDetected

    from roadmap import services

    merge, ended = services.progress_merge, []

    def ended_once(**kwargs):
        if not ended:
            ended.append(True)
            error = OperationalError("deadlock detected")
            error.__cause__ = DeadlockDetected("deadlock detected")
            raise error
        return merge(**kwargs)

    monkeypatch.setattr(services, "progress_merge", ended_once)
    visitor = Client()
    tick(visitor, review["cs229"], done=True)
    bob = review["learners"][1]
    visitor.post("/accounts/login/", {"login": "bob", "password": "correct horse battery staple"})
    assert ended == [True]
    assert Progress.objects.get(user=bob, work=review["cs229"].work_id).state == "done"
    assert not VisitorProgress.objects.exists()


# A learner's write on a work a join (or its undoing) moves their row onto, made in a
# transaction the test holds open: the statement of the join's that waits for it.
WRITES_WHERE_A_ROW_MOVES = {
    "tick": (
        'UPDATE "roadmap_progress"',
        lambda lea, r: progress_set(user=lea, resource=r, state="done"),
    ),
    "note": ('UPDATE "roadmap_note"', lambda lea, r: note_save(user=lea, resource=r, text="mine")),
}


def held_open(write, held: threading.Event, go_on: threading.Event) -> threading.Thread:
    """`write()` in a transaction of its own, held open until `go_on`."""

    def run() -> None:
        with transaction.atomic():
            write()
            held.set()
            go_on.wait(10)

    return in_thread(run)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("write", WRITES_WHERE_A_ROW_MOVES)
@pytest.mark.parametrize("curator", ["joins A into B", "undoes that join"])
def test_a_learners_write_where_a_curator_moves_their_row_meanwhile_never_fails_either(
    write, curator
):
    """Lea has A in progress, with a note. A curator joins A into B (or undoes that
    join) while Lea, in another tab, ticks or writes a note on the work her row is moving
    onto, not yet committed: the curator's move meets her new row, which it could not
    see. It tries again, and finds her row there: nothing fails, and her write stands."""
    waits, made = WRITES_WHERE_A_ROW_MOVES[write]
    r1, r2, _ = three_resources()
    lea = UserFactory(username="lea")
    progress_set(user=lea, resource=r1, state="in_progress")
    note_save(user=lea, resource=r1, text="on A")
    a, b = r1.work, r2.work
    undoing = curator == "undoes that join"
    join = work_join(from_work=a, into_work=b) if undoing else None
    held, go_on, errors = threading.Event(), threading.Event(), []
    writing = held_open(lambda: made(lea, r1 if undoing else r2), held, go_on)
    assert held.wait(10)

    def move() -> None:
        try:
            if undoing:
                work_join_undo(join=join)
            else:
                work_join(from_work=a, into_work=b)
        except Exception as error:  # what the admin would answer, a 500
            errors.append(error)

    moving = in_thread(move)
    wait_until_blocked(waits)
    go_on.set()
    writing.join(10)
    moving.join(10)
    assert errors == []
    states = dict(Progress.objects.filter(user=lea).values_list("work", "state"))
    notes = dict(Note.objects.filter(user=lea).values_list("work", "text"))
    if write == "tick":  # the tick stands where it was made; the moved row, where it met it
        assert (
            states == {a.pk: "in_progress", b.pk: "done"}
            if not undoing
            else {
                a.pk: "done",
                b.pk: "in_progress",
            }
        )
        assert notes == ({a.pk: "on A"} if undoing else {b.pk: "on A"})
    else:
        joined = {a.pk: "on A", b.pk: "mine\n\non A"}  # as a join meets two notes
        assert notes == ({a.pk: "mine", b.pk: "on A"} if undoing else joined)
