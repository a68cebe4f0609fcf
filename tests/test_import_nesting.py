"""Reading lists that nest by section, by language then by field as the largest public
lists do: imported whole, parts and topics taken from how the headings nest, and into the
same rows again, a title renamed in admin included."""

import io
import re
import time

import pytest
from django.core.management import CommandError, call_command

from roadmap.models import Part, Progress, Resource, Topic
from roadmap.roadmap_markdown import RoadmapParseError, parse_roadmap
from tests.factories import UserFactory
from tests.reading_lists import nested_list

BY_LANGUAGE = """\
# Machine Learning by Language

## C

#### General-Purpose Machine Learning

* [Darknet](https://c.example/darknet) - neural networks in C

#### Computer Vision

* [CCV](https://c.example/ccv)

## C++

#### Computer Vision

* [OpenCV](https://cpp.example/opencv)

#### General-Purpose Machine Learning

* [mlpack](https://cpp.example/mlpack)

## Objective C

### General-Purpose Machine Learning

* [MLPNeuralNet](https://objc.example/mlpneuralnet)

## Python

Libraries for Python.

#### General-Purpose Machine Learning

* [scikit-learn](https://py.example/scikit-learn)

#### Neural Networks

* [Keras](https://py.example/keras)

##### Spiking Neural Networks

* [Brian2](https://py.example/brian2)

#### Misc

* [PyMC](https://py.example/pymc)

#### Misc

* [Optuna](https://py.example/optuna)

## Books

* [Pattern Recognition and Machine Learning](https://books.example/prml)

## Credits

Thanks to everyone who sent a pull request.
"""

GENERAL = ("General-Purpose Machine Learning", "general-purpose-machine-learning")


def outline(text: str) -> list:
    """(part, its slug, [(topic, its slug, [resource titles])]) as read, strictly."""
    doc = parse_roadmap(text, source="list.md", strict=True)
    return [
        (
            part.title,
            part.slug,
            [(t.title, t.slug, [r.title for r in t.resources]) for t in part.topics],
        )
        for part in doc.parts
    ]


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def rows() -> dict:
    """Each part's and topic's row, by where the import put it."""
    parts = {p.slug: p.pk for p in Part.objects.filter(roadmap__slug="ml")}
    topics = {
        (t.part.slug, t.slug): t.pk
        for t in Topic.objects.filter(part__roadmap__slug="ml").select_related("part")
    }
    return {"parts": parts, "topics": topics}


def test_a_list_by_language_imports_whole_each_language_a_part_each_field_a_topic():
    assert outline(BY_LANGUAGE) == [
        (
            "C",
            "c",
            [(*GENERAL, ["Darknet"]), ("Computer Vision", "computer-vision", ["CCV"])],
        ),
        (
            "C++",
            "c-2",
            [("Computer Vision", "computer-vision", ["OpenCV"]), (*GENERAL, ["mlpack"])],
        ),
        ("Objective C", "objective-c", [(*GENERAL, ["MLPNeuralNet"])]),
        (
            "Python",
            "python",
            [
                (*GENERAL, ["scikit-learn"]),
                ("Neural Networks", "neural-networks", ["Keras"]),
                # A heading nested in a topic's is a topic of the same part, as titled.
                ("Spiking Neural Networks", "spiking-neural-networks", ["Brian2"]),
                ("Misc", "misc", ["PyMC"]),
                ("Misc", "misc-2", ["Optuna"]),
            ],
        ),
        (
            "Books",
            "books",
            [("Books", "books", ["Pattern Recognition and Machine Learning"])],
        ),
    ]
    doc = parse_roadmap(BY_LANGUAGE, source="list.md")
    assert doc.parts[3].summary == "Libraries for Python."
    assert doc.skipped_lines() == [
        "list.md:57: heading “Credits” holds no resources: not created, nor the text under it"
    ]


def test_how_many_hashes_a_heading_has_does_not_change_what_it_is():
    """The same list with every field under `###`, or one language's under `####` and the
    next one's under `###`, and with the languages under `#` (no title then): the same
    parts and topics."""
    as_read = outline(BY_LANGUAGE)
    all_three = re.sub(r"^####", "###", BY_LANGUAGE, flags=re.MULTILINE)
    assert outline(all_three) == as_read
    cpp, objc = (BY_LANGUAGE.index(f"## {name}\n") for name in ["C++", "Objective C"])
    one_of_each = BY_LANGUAGE[:cpp] + BY_LANGUAGE[cpp:objc].replace("####", "###")
    assert outline(one_of_each + BY_LANGUAGE[objc:]) == as_read
    shallower = re.sub(r"^#(#+) ", r"\1 ", BY_LANGUAGE, flags=re.MULTILINE)
    shallower = shallower.replace("# Machine Learning by Language\n", "")
    assert outline(shallower) == as_read


def test_a_slug_written_under_a_heading_is_its_own_and_is_not_text():
    text = (
        "# R\n## C\n<!-- slug: c-language -->\n\nIn C.\n\n### Vision\n<!-- slug: cv -->\n"
        "* [CCV](https://c.example/ccv)\n## C\n### Vision\n* [X](https://x.example/)\n"
    )
    doc = parse_roadmap(text)
    assert [(p.slug, p.summary, [t.slug for t in p.topics]) for p in doc.parts] == [
        ("c-language", "In C.", ["cv"]),
        ("c", "", ["vision"]),
    ]
    with pytest.raises(RoadmapParseError) as error:
        parse_roadmap("# R\n<!-- slug: r -->\n## A\n* [X](https://x.example/)\n", source="s.md")
    assert error.value.problems == ["s.md:2: a slug before the first heading: it names none"]


@pytest.mark.django_db
def test_a_list_by_language_imports_and_imports_again_into_the_same_rows(tmp_path):
    path = tmp_path / "by-language.md"
    path.write_text(BY_LANGUAGE)
    output = run("import_roadmap", str(path), "--roadmap", "ml", "--strict")
    assert "Parts: 5 created, 0 updated, 0 unchanged" in output
    assert "Topics: 11 created, 0 updated, 0 unchanged" in output
    assert "Resources: 11 created, 0 updated, 0 unchanged" in output
    first = rows()
    assert Part.objects.get(roadmap__slug="ml", slug="c-2").title == "C++"
    assert Resource.objects.get(title="mlpack").topic.part.title == "C++"
    again = run("import_roadmap", str(path), "--roadmap", "ml", "--strict")
    assert "Parts: 0 created, 0 updated, 5 unchanged" in again
    assert "Topics: 0 created, 0 updated, 11 unchanged" in again
    assert "Resources: 0 created, 0 updated, 11 unchanged" in again
    assert rows() == first


@pytest.mark.django_db
def test_titles_renamed_in_admin_survive_export_and_import_with_their_rows(tmp_path):
    path = tmp_path / "by-language.md"
    path.write_text(BY_LANGUAGE)
    run("import_roadmap", str(path), "--roadmap", "ml")
    learner = UserFactory()
    darknet = Resource.objects.get(title="Darknet")
    Progress.objects.create(user=learner, work=darknet.work, state="done")
    before = rows()
    # Renamed as admin saves a title: its slug, the row's key, stays as it was.
    Part.objects.filter(roadmap__slug="ml", slug="c").update(title="C, the language")
    Topic.objects.filter(pk=darknet.topic_id).update(title="General ML")
    exported = tmp_path / "exported.md"
    call_command("export_roadmap", str(exported), "--roadmap", "ml", stderr=io.StringIO())
    text = exported.read_text()
    assert "## C, the language\n<!-- slug: c -->\n" in text
    assert "### General ML\n<!-- slug: general-purpose-machine-learning -->\n" in text
    output = run("import_roadmap", str(exported), "--roadmap", "ml")
    assert "Parts: 0 created, 0 updated, 5 unchanged" in output
    assert "Topics: 0 created, 0 updated, 11 unchanged" in output
    assert "Resources: 0 created, 0 updated, 11 unchanged" in output
    assert rows() == before
    darknet.refresh_from_db()
    assert (darknet.topic.title, darknet.topic.part.title) == ("General ML", "C, the language")
    assert Progress.objects.get(user=learner).work_id == darknet.work_id
    # The exported file keeps its rows when its sections move, though "C" and "C++" alike.
    c, cpp, objc = [match.start() for match in re.finditer(r"^## ", text, re.MULTILINE)][:3]
    path.write_text(text[:c] + text[cpp:objc] + text[c:cpp] + text[objc:])
    run("import_roadmap", str(path), "--roadmap", "ml")
    assert rows() == before
    titles = Part.objects.filter(roadmap__slug="ml").values_list("title", flat=True)
    assert list(titles)[:2] == ["C++", "C, the language"]


@pytest.mark.django_db
def test_two_slugs_written_alike_are_refused_and_nothing_is_written(tmp_path):
    path = tmp_path / "twins.md"
    path.write_text(
        "# R\n## C\n<!-- slug: c -->\n### T\n* [X](https://x.example/)\n"
        "## C++\n<!-- slug: c -->\n### T\n* [Y](https://y.example/)\n"
    )
    with pytest.raises(CommandError) as error:
        call_command("import_roadmap", str(path), "--roadmap", "ml")
    assert str(error.value) == (f"{path}:6: part “C++” has the same slug (c) as “C” on line 2")
    assert not Part.objects.exists()


# About two thousand lines, as the largest lists by language have (see `nested_list`).
NESTED, NESTED_LISTED = nested_list()


def test_a_generated_list_of_two_thousand_lines_by_language_is_read_whole():
    assert 1_900 <= NESTED.count("\n") <= 2_100
    doc = parse_roadmap(NESTED, source="nested.md", strict=True)
    read = [
        (part.title, topic.title, [r.url for r in topic.resources])
        for part in doc.parts
        for topic in part.topics
    ]
    expected: list = []
    for item in NESTED_LISTED:
        if not expected or expected[-1][:2] != (item.part, item.section):
            expected.append((item.part, item.section, []))
        expected[-1][2].append(item.url)
    assert read == expected
    slugs = {part.title: part.slug for part in doc.parts}
    assert (slugs["C"], slugs["C++"], slugs["C#"]) == ("c", "c-2", "c-3")
    [python] = [part for part in doc.parts if part.title == "Python"]
    assert [t.slug for t in python.topics if t.title == "Misc"] == ["misc", "misc-2"]


@pytest.mark.django_db
def test_a_generated_list_of_two_thousand_lines_imports_in_seconds_then_again_unchanged(
    tmp_path,
):
    path = tmp_path / "nested.md"
    path.write_text(NESTED)
    started = time.monotonic()
    output = run("import_roadmap", str(path), "--roadmap", "ml", "--strict").splitlines()
    took = time.monotonic() - started
    assert output[0].startswith(f"Read {path}: 27 parts, 106 topics, 700 resources; 0 lines")
    assert output[-3:] == [
        "Parts: 27 created, 0 updated, 0 unchanged, 0 archived",
        "Topics: 106 created, 0 updated, 0 unchanged, 0 archived",
        "Resources: 700 created, 0 updated, 0 unchanged, 0 archived",
    ]
    assert took < 20  # the budget of a 5,000-resource import (docs/performance.md)
    first = rows()
    again = run("import_roadmap", str(path), "--roadmap", "ml", "--strict")
    assert "Resources: 0 created, 0 updated, 700 unchanged" in again
    assert rows() == first


def test_html_anchors_before_headings_are_set_aside_not_kept_as_summaries():
    text = (
        '# Awesome\n\n<a name="python"></a>\n## Python\n\n'
        "<a name='python-cv'></a>\n#### Computer Vision\n\n"
        "* [OpenCV](https://example.org/opencv)\n\n"
        '<a id="tools"></a>\n## Tools\n\nUseful things.\n\n### Editors\n\n'
        "* [Vim](https://example.org/vim)\n"
    )
    doc = parse_roadmap(text)
    summaries = [s.summary for part in doc.parts for s in [part, *part.topics]]
    assert not any("<a" in summary for summary in summaries)
    assert [part.summary for part in doc.parts] == ["", "Useful things."]
    anchors = [s for s in doc.skipped if "HTML anchor" in s.reason]
    assert [s.line for s in anchors] == [3, 6, 11] and not any(s.meant for s in anchors)
