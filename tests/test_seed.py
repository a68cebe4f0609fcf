"""The seed fixture reproduces the author's draft roadmap, and loading it never overwrites."""

import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command

from roadmap.models import Part, Resource, Roadmap, Topic

SEED = (
    Path(__file__).resolve().parent.parent / "fixtures" / "deep-learning-roadmap.md"
).read_text()
EDITOR_NOTES = [
    "strucure",
    "or maybe add some intro",
    "-- parts",
    "-- make it",
    "-- soon",
    "genreral",
]


def seed_resources() -> list[tuple[str, str, str, str]]:
    """(topic, title, url, description) for every `* [Title](url)` entry, read from the seed."""
    entries, topic = [], None
    lines = SEED.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("### "):
            topic = line[4:].strip()
        match = re.match(r"^\* \[(.+)\]\((\S+)\)\s*$", line)
        if match:
            description = []
            for following in lines[index + 1 :]:
                if not following.strip():
                    break
                description.append(following.strip())
            title = match.group(1).replace("\\(", "(").replace("\\)", ")")
            entries.append((topic, title, match.group(2), " ".join(description)))
    return entries


def test_seed_oracle_reads_five_resources():
    assert len(seed_resources()) == 5


def test_fixture_resources_match_the_seed_in_order(seed):
    loaded = [
        (r.topic.title, r.title, r.url, r.description)
        for r in Resource.objects.select_related("topic__part").order_by(
            "topic__part__order", "topic__order", "order"
        )
    ]
    assert loaded == seed_resources()
    assert set(Resource.objects.values_list("status", flat=True)) == {"published"}


def test_fixture_parts_and_topics_match_the_seed(seed):
    seed_parts = re.findall(r"^## Part \w+: (.+)$", SEED, flags=re.MULTILINE)
    parts = list(Part.objects.order_by("order"))
    assert [p.title.lower() for p in parts] == [t.strip().lower() for t in seed_parts]
    assert [p.title for p in parts] == [
        "Pre-requisites",
        "Deep learning basics",
        "We need to get deeper",
    ]
    assert [p.status for p in parts] == ["published", "coming_soon", "coming_soon"]
    topics = Topic.objects.filter(part=parts[0]).order_by("order")
    assert [t.title for t in topics] == ["Programming", "Math", "Machine learning"]
    assert not Topic.objects.exclude(part=parts[0]).exists()


def test_fixture_introductions_match_the_seed(seed):
    roadmap = Roadmap.objects.get()
    assert roadmap.title == "Deep Learning Roadmap"
    first, second = roadmap.introduction.split("\n\n")
    assert first in SEED
    assert second.startswith("**It is presumed") and second in SEED
    summary = Part.objects.get(order=1).summary
    assert summary.startswith("To tackle deep learning, you must at least be familiar")
    for item in ["programming", "basic mathematics and statistics (high school level)"]:
        assert f"* {item}" in summary
    assert summary.endswith("resources for these three pre-requisites.")


def test_editor_notes_are_not_public_text(seed):
    public = [Roadmap.objects.get().introduction]
    public += [p.title + p.summary for p in Part.objects.all()]
    public += [t.title + t.summary for t in Topic.objects.all()]
    public += [r.title + r.description for r in Resource.objects.all()]
    for note in EDITOR_NOTES:
        assert note in SEED  # the note really is in the draft...
        assert not any(note in text for text in public)  # ...and nowhere public


def test_kind_is_set_and_unknown_level_and_cost_stay_unknown(seed):
    kinds = dict(Resource.objects.values_list("title", "kind"))
    assert kinds["Mathematics for Machine Learning Specialization - Coursera"] == "course"
    assert kinds["Learn Python The Hard Way"] == "book"
    assert set(Resource.objects.values_list("cost", flat=True)) == {""}


def test_seeding_again_never_overwrites_a_curators_edit(seed):
    Resource.objects.filter(title="Learn Python The Hard Way").update(title="Edited by a curator")
    Part.objects.filter(order=2).update(status="published")
    out = io.StringIO()
    call_command("seed_roadmap", stdout=out)
    assert "not loaded" in out.getvalue()
    assert Resource.objects.filter(title="Edited by a curator").exists()
    assert Part.objects.get(order=2).status == "published"
    assert Resource.objects.count() == 5


@pytest.mark.django_db
def test_seeding_an_empty_database_loads_everything():
    out = io.StringIO()
    call_command("seed_roadmap", stdout=out)
    assert "Loaded" in out.getvalue()
    assert (Roadmap.objects.count(), Part.objects.count(), Topic.objects.count()) == (1, 3, 3)
    assert Resource.objects.count() == 5
