"""Starting over (/me/reset/): one part or everything, confirmed by typing RESET."""

import pytest

from roadmap.models import Progress
from roadmap.services import progress_set
from tests.factories import (
    PartFactory,
    ResourceFactory,
    RoadmapFactory,
    TopicFactory,
    UserFactory,
)
from tests.progress_helpers import bars


@pytest.fixture
def two_parts(db):
    a = PartFactory(title="Basics")
    b = PartFactory(title="Vision", roadmap=a.roadmap)
    return {
        "a": a,
        "b": b,
        "in_a": [ResourceFactory(topic=TopicFactory(part=a)) for _ in range(2)],
        "in_b": [ResourceFactory(topic=TopicFactory(part=b)) for _ in range(2)],
    }


@pytest.fixture
def ada(client, two_parts):
    ada = UserFactory()
    for resource, state in zip(
        two_parts["in_a"] + two_parts["in_b"],
        ["done", "skipped", "in_progress", "done"],
        strict=True,
    ):
        progress_set(user=ada, resource=resource, state=state)
    client.force_login(ada)
    return ada


def test_the_page_asks_what_and_for_a_typed_confirmation(client, ada, two_parts):
    page = client.get("/me/reset/").content.decode()
    assert '<label for="id_scope">What to reset</label>' in page
    assert '<label for="id_confirm">Type RESET to confirm</label>' in page
    for title in (
        "Basics",
        "Vision",
        "All of Deep Learning Roadmap",
        "Everything, in every roadmap",
    ):
        assert f">{title}</option>" in page


def test_resetting_one_part_leaves_the_others(client, ada, two_parts):
    response = client.post("/me/reset/", {"scope": two_parts["a"].pk, "confirm": "RESET"})
    assert response.status_code == 302 and response["Location"] == "/me/"
    left = Progress.objects.filter(user=ada)
    assert {row.work.resources.get() for row in left} == set(two_parts["in_b"])
    page = client.get("/me/").content.decode()
    assert "“Basics” starts over: 2 states cleared." in page
    assert bars(page)[f"part-{two_parts['a'].pk}"] == 0
    assert bars(page)[f"part-{two_parts['b'].pk}"] == 50


def test_notes_are_kept_unless_asked_to_go_too(client, ada, two_parts):
    from roadmap.models import Note
    from roadmap.services import note_save

    for resource in two_parts["in_a"] + two_parts["in_b"]:
        note_save(user=ada, resource=resource, text="mine")
    page = client.get("/me/reset/").content.decode()
    assert '<label for="id_notes">Also delete my notes</label>' in page
    client.post("/me/reset/", {"scope": two_parts["a"].pk, "confirm": "RESET"})
    assert Note.objects.filter(user=ada).count() == 4
    answer = client.post(
        "/me/reset/", {"scope": two_parts["a"].pk, "confirm": "RESET", "notes": "on"}, follow=True
    )
    assert "“Basics” starts over: 0 states cleared, 2 notes deleted." in answer.content.decode()
    assert {note.work.resources.get() for note in Note.objects.filter(user=ada)} == set(
        two_parts["in_b"]
    )
    client.post("/me/reset/", {"scope": "everything", "confirm": "nope", "notes": "on"})
    assert Note.objects.filter(user=ada).count() == 2  # not confirmed: nothing went


def test_resetting_everything(client, ada, two_parts):
    answer = client.post("/me/reset/", {"scope": "everything", "confirm": "RESET"}, follow=True)
    assert "Every roadmap starts over: 4 states cleared." in answer.content.decode()
    assert not Progress.objects.filter(user=ada).exists()


@pytest.mark.parametrize("typed", ["", "reset", "RESET please", "yes"])
def test_anything_but_reset_changes_nothing_and_says_why(client, ada, two_parts, typed):
    before = list(Progress.objects.values_list("work__resources", "state"))
    response = client.post("/me/reset/", {"scope": "everything", "confirm": typed})
    assert response.status_code == 200
    assert (
        "Type RESET, in capitals, to confirm. Nothing was reset." in response.content.decode()
        or typed == ""
    )
    assert "errorlist" in response.content.decode()
    assert list(Progress.objects.values_list("work__resources", "state")) == before


def test_an_unknown_part_is_a_form_error(client, ada, two_parts):
    response = client.post("/me/reset/", {"scope": "999999", "confirm": "RESET"})
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert Progress.objects.filter(user=ada).count() == 4


def test_another_learners_progress_is_never_touched(client, ada, two_parts):
    bob = UserFactory()
    progress_set(user=bob, resource=two_parts["in_a"][0], state="done")
    client.post("/me/reset/", {"scope": "everything", "confirm": "RESET"})
    assert Progress.objects.filter(user=bob).count() == 1


def test_a_part_or_roadmap_reset_clears_only_what_the_learner_sees_counted_of_it(client, ada):
    """A URL the learner ticked in another roadmap, listed here only in a draft part (which
    staff alone see) or as an archived resource: neither its state nor its note is
    cleared, here or there; unarchiving brings the archived one back."""
    from roadmap.models import Note, Part, Resource
    from roadmap.services import note_save

    basics = Part.objects.get(title="Basics")
    vision = RoadmapFactory(slug="vision", title="Computer vision", order=2)
    elsewhere = ResourceFactory(topic__part__roadmap=vision, title="Seen elsewhere")
    ResourceFactory(  # listed here too, in a part only staff see
        topic=TopicFactory(part=PartFactory(roadmap=basics.roadmap, status="draft")),
        url=elsewhere.url,
    )
    archived = ResourceFactory(topic=TopicFactory(part=basics))
    for resource in (elsewhere, archived):
        progress_set(user=ada, resource=resource, done=True)
    note_save(user=ada, resource=elsewhere, text="Mine")
    Resource.objects.filter(pk=archived.pk).update(status=Resource.Status.ARCHIVED)
    for scope in (basics.pk, f"roadmap-{basics.roadmap_id}"):
        data = {"scope": scope, "confirm": "RESET", "notes": "on"}
        assert client.post("/me/reset/", data).status_code == 302
    left = set(Progress.objects.filter(user=ada).values_list("work_id", flat=True))
    assert left == {elsewhere.work_id, archived.work_id}
    assert Note.objects.filter(user=ada, work=elsewhere.work).exists()


@pytest.mark.parametrize("resources", [3, 30])
def test_starting_a_part_over_with_its_notes_reads_as_much_however_many(
    db, resources, django_assert_num_queries
):
    """The same queries for a part of 3 resources as for one of 30 (STYLE: query counts
    do not grow with the content)."""
    from roadmap.services import note_save, progress_reset

    part = PartFactory()
    topic = TopicFactory(part=part)
    learner = UserFactory()
    for resource in ResourceFactory.create_batch(resources, topic=topic):
        progress_set(user=learner, resource=resource, state="done")
        note_save(user=learner, resource=resource, text="read it")
    with django_assert_num_queries(6):
        progress_reset(user=learner, part=part, notes=True)
    assert not Progress.objects.filter(user=learner).exists()
