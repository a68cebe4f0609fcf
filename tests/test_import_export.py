"""`import_roadmap` and `export_roadmap`: the seed's Markdown in and out, never losing data."""

import html
import io
import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils.text import slugify
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roadmap.models import Part, Progress, Resource, Roadmap, Topic
from roadmap.roadmap_markdown import parse_roadmap
from tests.factories import ResourceFactory, UserFactory

SEED = Path(__file__).resolve().parent.parent / "fixtures" / "deep-learning-roadmap.md"


def content() -> dict:
    """Everything a reader sees, to compare two databases' roadmaps."""
    roadmap = Roadmap.objects.get()
    return {
        "roadmap": (roadmap.title, roadmap.introduction),
        "parts": list(
            Part.objects.order_by("order").values_list(
                "title", "slug", "summary", "status", "order"
            )
        ),
        "topics": list(
            Topic.objects.order_by("part__order", "order").values_list(
                "part__slug", "title", "slug", "summary", "order"
            )
        ),
        "resources": list(
            Resource.objects.order_by("topic__part__order", "topic__order", "order").values_list(
                "topic__slug",
                "title",
                "url",
                "description",
                "kind",
                "level",
                "cost",
                "status",
                "order",
            )
        ),
    }


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_importing_the_seed_into_an_empty_database_gives_the_fixture(seed):
    from_fixture = content()
    Progress.objects.all().delete()
    Roadmap.objects.all().delete()
    output = run("import_roadmap", str(SEED))
    assert "Resources: 5 created, 0 updated, 0 unchanged, 0 archived" in output
    assert content() == from_fixture


def test_shared_seed_is_the_same_as_the_copy_in_the_repository():
    shared = Path(__file__).resolve().parents[2] / "shared" / "seed" / "deep-learning-roadmap.md"
    if shared.exists():  # beside every checkout of this project's workplace
        assert shared.read_text() == SEED.read_text()


def test_reimporting_is_idempotent(seed):
    before = content()
    output = run("import_roadmap", str(SEED))
    assert "Resources: 0 created, 0 updated, 5 unchanged, 0 archived" in output
    assert content() == before


def test_export_then_import_changes_nothing(seed, tmp_path):
    resource = Resource.objects.get(title="Learn Python The Hard Way")
    resource.level, resource.cost = "beginner", "paid"
    resource.description = (
        "First paragraph.\n\n* a list\n* of things\n\nLast [paragraph](https://example.com)."
    )
    resource.title = "A [bracketed] title \\ with a backslash"
    resource.save()
    assert_export_then_import_changes_nothing(tmp_path)


@pytest.mark.parametrize(
    "model,field,text",
    [
        (Roadmap, "introduction", "Read this first.\n\n## Why\n\n* [A course](https://c.example/)"),
        (
            Part,
            "summary",
            "About:\n\n  - indented\n- [a link](https://l.example/)\n\n### Not a topic",
        ),
        (Topic, "summary", "-- not a note --\n\n[not an aside]\n\n1. first"),
        (Part, "title", "deep learning, in lower case"),
        (Part, "title", "part two: what it says"),
        (Topic, "summary", "Windows wrote this:\r\n\r\n* a line\r\n* and another"),
        (Roadmap, "introduction", "Begin with:\n\n```\npip install torch"),  # a fence left open
        (Topic, "summary", "Shown as code:\n\n```\n<!-- text -->\n\n<!-- end text -->\n```"),
        (Part, "summary", "```html\n<!-- end text -->\n<!-- end text 2 -->\n```\n\nafter"),
        (Resource, "description", "A marker in a description:\n\n<!-- text -->\n\nno more"),
    ],
)
def test_an_introduction_summary_or_title_comes_back_as_written(seed, tmp_path, model, field, text):
    """What Markdown would read as structure, notes or resources (a heading, a list of
    links, an editor's note) in an introduction or a summary, and a title in lower case."""
    row = model.objects.order_by("pk").first()
    setattr(row, field, text)
    row.save()  # (with "\n" ending each line, whatever a textarea sent)
    assert_export_then_import_changes_nothing(tmp_path)


def test_a_file_exported_before_reads_as_it_did(db):
    """Its headings had "Part one:" before every title, with their slug lines."""
    parsed = parse_roadmap(
        "# R\n\n## Part one: Basics\n<!-- slug: basics -->\n\n### T\n<!-- slug: t -->\n\n"
        "* [X](https://x.example/)\n"
    )
    assert [part.title for part in parsed.parts] == ["Basics"]


def test_a_text_marker_without_its_end_is_text_like_any_other(db):
    """As in a file exported before texts were marked, whose summary shows one in code."""
    parsed = parse_roadmap(
        "# A roadmap\n\nIn code:\n\n```\n<!-- text -->\n```\n\n## A part\n\n### T\n\n"
        "* [X](https://x.example/)\n"
    )
    assert parsed.introduction == "In code:\n\n```\n<!-- text -->\n```"
    assert [part.title for part in parsed.parts] == ["A part"]


def assert_export_then_import_changes_nothing(tmp_path) -> None:
    before = content()
    path = tmp_path / "roadmap.md"
    call_command("export_roadmap", str(path), stderr=io.StringIO())
    output = run("import_roadmap", str(path))
    assert "Parts: 0 created, 0 updated, 3 unchanged" in output
    assert "Topics: 0 created, 0 updated, 3 unchanged" in output
    assert "Resources: 0 created, 0 updated, 5 unchanged" in output
    assert content() == before


# Titles with what Markdown reads as markup: emphasis, code, links, entities, escapes.
TITLES = (
    st.lists(st.sampled_from([*"ab *_`[]()<>&#;!\\~|-:.", "&amp;", "\u00e9", "\u2019"]), min_size=1)
    .map(lambda pieces: " ".join("".join(pieces).split()))
    .filter(bool)
)


# Descriptions as curators write them, with lines Markdown reads as structure.
DESCRIPTIONS = st.lists(
    st.sampled_from(
        [
            *["text", "more *text*", "", "---", "===", "-- a note", "[an aside]", "# h"],
            *["* item", "  * sub", "1. one", "> quote", "```", "    code", "| a | b |"],
            *["&amp; \\*", "<https://x.example>", "a\tb", "soon \u2028 after", "-- soon --"],
        ]
    ),
    max_size=6,
).map(lambda lines: "\n".join(line.rstrip() for line in lines).strip())


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    title=TITLES,
    heading=TITLES.filter(lambda title: any(c.isalnum() for c in title)),
    description=DESCRIPTIONS,
    url_tail=st.sampled_from(["", "(draft)", "wiki/A_(b)", "a?b=1&c=2", "a?x=1&amp;y", "a\\_b"]),
)
def test_any_title_heading_description_and_url_survive_export_then_import(
    seed, tmp_path, title, heading, description, url_tail
):
    with transaction.atomic():  # each example from the seed as it is
        resource = Resource.objects.get(url__contains="learnpythonthehardway")
        resource.title, resource.url = title, f"https://learnpythonthehardway.org/{url_tail}"
        resource.description = description
        resource.save()
        # A title as it would come from admin, its slug made from it.
        for model, pk, name in [
            (Topic, resource.topic_id, f"{heading} 1"),
            (Part, resource.topic.part_id, f"iOS {heading}"),
        ]:
            model.objects.filter(pk=pk).update(title=name, slug=slugify(name)[:100])
        assert_export_then_import_changes_nothing(tmp_path)
        transaction.set_rollback(True)


def test_import_updates_titles_descriptions_and_order_and_deletes_nothing(seed, tmp_path):
    ticked = Resource.objects.get(title="Practical Statistics for Data Scientists, 2nd Edition")
    Progress.objects.create(user=UserFactory(), work=ticked.work)
    text = SEED.read_text()
    text = text.replace("[Learn Python The Hard Way]", "[Learn Python the Hard Way, 3rd ed.]")
    # Math: a new resource first, then Coursera; the ticked one is no longer listed.
    math_start = text.index("### Math")
    ml_start = text.index("### Machine learning")
    coursera = text[text.index("* [Mathematics for") : text.index("* [Practical Statistics")]
    math = "### Math\n* [New maths](https://example.com/maths)\n  Fresh.\n\n" + coursera
    path = tmp_path / "edited.md"
    path.write_text(text[:math_start] + math + text[ml_start:])
    output = run("import_roadmap", str(path))
    assert "Resources: 1 created, 2 updated, 2 unchanged, 0 archived" in output
    assert "Practical Statistics" in output  # listed as missing...
    assert Resource.objects.get(pk=ticked.pk).status == "published"  # ...and left alone
    assert Resource.objects.filter(title="Learn Python the Hard Way, 3rd ed.").exists()
    math_topic = Topic.objects.get(slug="math")
    assert list(math_topic.resources.order_by("order").values_list("title", "order")) == [
        ("New maths", 1),
        ("Mathematics for Machine Learning Specialization - Coursera", 2),
        ("Practical Statistics for Data Scientists, 2nd Edition", 3),
    ]
    assert Resource.objects.count() == 6


def test_archive_missing_archives_and_keeps_progress(seed, tmp_path):
    dropped = Resource.objects.get(title="Learn Python The Hard Way")
    Progress.objects.create(user=UserFactory(), work=dropped.work)
    text = SEED.read_text()
    start = text.index("* [Learn Python")
    end = text.index("### Math")
    path = tmp_path / "fewer.md"
    path.write_text(text[:start] + text[end:])
    output = run("import_roadmap", str(path), "--archive-missing")
    assert "Resources: 0 created, 0 updated, 4 unchanged, 1 archived" in output
    assert Resource.objects.get(pk=dropped.pk).status == "archived"
    assert Progress.objects.filter(work__resources=dropped).exists()
    # Listed again: back on the roadmap, with its learner's state, when the file says what
    # is listed (--archive-missing); a draft stays one.
    draft = Resource.objects.exclude(pk=dropped.pk).first()
    Resource.objects.filter(pk=draft.pk).update(status="draft")
    run("import_roadmap", str(SEED))
    assert Resource.objects.get(pk=dropped.pk).status == "archived"  # admin's, without
    output = run("import_roadmap", str(SEED), "--archive-missing")
    assert "Resources: 0 created, 1 updated, 4 unchanged, 0 archived" in output
    assert Resource.objects.get(pk=dropped.pk).status == "published"
    assert Resource.objects.get(pk=draft.pk).status == "draft"
    assert Progress.objects.filter(work__resources=dropped).exists()


def test_a_url_changed_in_the_file_and_changed_back_leaves_every_state_shown(seed, tmp_path):
    """Each import archives the address the file no longer lists and lists the other;
    the second brings the first back, and its learners' states with it."""
    book = Resource.objects.get(title="Learn Python The Hard Way")
    progress = Progress.objects.create(user=UserFactory(), work=book.work, state="done")
    path = tmp_path / "moved.md"
    path.write_text(SEED.read_text().replace(book.url, book.url + "intro/"))
    run("import_roadmap", str(path), "--archive-missing")
    run("import_roadmap", str(SEED), "--archive-missing")
    shown = Resource.objects.counted().get(title="Learn Python The Hard Way")
    assert shown.pk == book.pk and shown.work_id == progress.work_id
    assert Resource.objects.counted().count() == Resource.objects.filter(status="published").count()


def test_dry_run_reports_and_changes_nothing(seed, tmp_path):
    before = content()
    path = tmp_path / "changed.md"
    path.write_text(SEED.read_text().replace("### Math", "### Mathematics"))
    output = run("import_roadmap", str(path), "--dry-run", "--archive-missing")
    assert "Topics: 1 created" in output
    assert "Dry run: nothing was changed." in output
    assert content() == before


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("# R\n-- soon --\n", 2, "outside a part"),
        (
            "# R\n## A\n### T\n* [X](https://a.example)\n  <!-- kind: poem -->\n",
            5,
            "unknown resource detail",
        ),
        (
            "# R\n## A\n### T\n* [X](https://a.example)\n### U\n-- draft --\n"
            "* [Y](https://b.example)\n",
            6,
            "“U” is not a part: it cannot be marked",
        ),
    ],
)
def test_a_parse_error_names_file_and_line_and_changes_nothing(seed, tmp_path, text, line, message):
    before = content()
    path = tmp_path / "broken.md"
    path.write_text(text)
    with pytest.raises(CommandError) as error:
        call_command("import_roadmap", str(path))
    assert str(error.value).startswith(f"{path}:{line}: ")
    assert message in str(error.value)
    assert content() == before


# Lines that look meant as resources and are not: (file, its line, why, what is imported).
LEFT_OUT = [
    (
        "# R\n## A\n### T\n* [X](javascript:alert(1))\n* [Y](https://b.example)\n",
        4,
        "not an http(s) URL: javascript:alert(1)",
        ["Y"],
    ),
    (
        "# R\n## A\n### T\n* [X](https://a.example)\n* [Y](HTTPS://A.example/)\n",
        5,
        "the same URL as line 4: listed there",
        ["X"],
    ),
    (
        "# R\n## A\n### T\n* [X](https://a.example\n* [Y](https://b.example)\n",
        4,
        "a link Markdown cannot read: look for a missing bracket, parenthesis or reference",
        ["Y"],
    ),
    (
        "# R\n## A\n### T\n* [X](https://a.example)\n* more to come\n",
        5,
        "an item without a link, in a list of resources",
        ["X"],
    ),
]


@pytest.mark.parametrize(("text", "line", "reason", "imported"), LEFT_OUT)
def test_strict_refuses_a_line_left_out_by_its_line_and_writes_nothing(
    seed, tmp_path, text, line, reason, imported
):
    before = content()
    path = tmp_path / "list.md"
    path.write_text(text)
    with pytest.raises(CommandError) as error:
        call_command("import_roadmap", str(path), "--roadmap", "r", "--strict")
    assert str(error.value) == f"{path}:{line}: skipped: {reason}"
    assert content() == before and not Roadmap.objects.filter(slug="r").exists()


@pytest.mark.parametrize(("text", "line", "reason", "imported"), LEFT_OUT)
def test_without_strict_the_line_is_reported_and_the_rest_imported(
    seed, tmp_path, text, line, reason, imported
):
    path = tmp_path / "list.md"
    path.write_text(text)
    output = run("import_roadmap", str(path), "--roadmap", "r")
    assert f"  {path}:{line}: {reason}\n" in output
    assert "1 lines that look meant as resources skipped" in output
    titles = Resource.objects.filter(topic__part__roadmap__slug="r").values_list("title", flat=True)
    assert list(titles) == imported


def test_a_file_with_another_title_asks_for_roadmap_and_changes_nothing(seed, tmp_path):
    before = content()
    path = tmp_path / "awesome.md"
    path.write_text("# Awesome Deep Learning\n\nA list.\n\n## Books\n* [X](https://a.example)\n")
    with pytest.raises(CommandError) as error:
        call_command("import_roadmap", str(path))
    assert "“Awesome Deep Learning”, is not the first roadmap's" in str(error.value)
    assert str(error.value).endswith("Use --roadmap SLUG.")
    assert content() == before
    run("import_roadmap", str(path), "--roadmap", "awesome-deep-learning")
    assert Roadmap.objects.get(slug="deep-learning").title == "Deep Learning Roadmap"
    awesome = Roadmap.objects.get(slug="awesome-deep-learning")
    assert (awesome.title, awesome.introduction, awesome.status) == (
        "Awesome Deep Learning",
        "A list.",
        "draft",
    )


LONG = "x" * 301
# Files the models would refuse a row of: each problem with its line, nothing written.
INVALID = [
    (
        f"# R\n## A\n### T\n* [{LONG}](https://a.example)\n",
        [(4, "Ensure this value has at most 300")],
    ),
    (
        f"# R\n## {LONG[:201]}\n### T\n* [X](https://a.example)\n",
        [(2, "Ensure this value has at most 200")],
    ),
    (f"# {LONG[:201]}\n", [(1, "Ensure this value has at most 200")]),
    (
        f"# R\n## A\n### T\n* [X](https://a.example/{'p' * 500})\n",
        [(4, "Ensure this value has at most 500")],
    ),
    ("# R\n## A\n### T\n* [X](https://exa_mple.org/)\n", [(4, "Enter a valid URL")]),
    ("# R\n## A\n### T\n* [X](https://-bad-.example/)\n", [(4, "Enter a valid URL")]),
    ("# R\n## A\n### T\n* [Ti\x00tle](https://a.example)\n", [(4, "a NUL character")]),
    # A form feed pasted from a PDF, an escape sequence from a terminal, a mark that turns
    # the text around: no title or URL shown to others has one.
    ("# Ctrl\x0cTitle\n", [(1, "Control characters")]),
    ("# R\n## A\n### T\x1b[31m\n* [X](https://a.example)\n", [(3, "Control characters")]),
    ("# R\n## A\n### T\n* [X](https://a.example/\u202eexe.txt)\n", [(4, "direction")]),
    (
        "# R\n## A\n### T\n* [X](https://a.example)\n  De\x00scribed\n\n## B\x00\n",
        [(5, "a NUL character"), (7, "a NUL character")],
    ),
    (  # titles alike are numbered (tests/test_import_nesting.py), slugs given are not
        "# R\n## A\n<!-- slug: deep -->\n### T\n* [X](https://a.example)\n"
        "## B\n<!-- slug: deep -->\n### U\n* [Y](https://b.example)\n",
        [(6, "has the same slug (deep) as “A” on line 2")],
    ),
    (
        "# R\n## A\n### Maths\n<!-- slug: maths -->\n* [X](https://a.example)\n"
        "### Algebra\n<!-- slug: maths -->\n* [Y](https://b.example)\n"
        "## B\n### Maths\n* [Z](https://c.example)\n",
        [(6, "has the same slug (maths) as “Maths” on line 3, in the same part")],
    ),
    (
        "# R\n## A\n<!-- slug: not a slug -->\n### T\n* [X](https://a.example)\n",
        [(3, "“not a slug” is not a slug")],
    ),
    (
        f"# R\n## A\n### T\n* [{LONG}](https://a.example)\n* [{LONG}](https://b.example)\n",
        [(4, "at most 300"), (5, "at most 300")],
    ),
]


@pytest.mark.parametrize(("text", "problems"), INVALID)
def test_rows_the_models_would_refuse_are_reported_by_line_and_nothing_is_written(
    seed, tmp_path, text, problems
):
    before = content()
    path = tmp_path / "invalid.md"
    path.write_text(text)
    with pytest.raises(CommandError) as error:
        call_command("import_roadmap", str(path))
    reported = str(error.value).splitlines()
    assert len(reported) == len(problems)
    for line, (number, message) in zip(reported, problems, strict=True):
        assert line.startswith(f"{path}:{number}: ") and message in line
    assert content() == before


@pytest.mark.parametrize(("text", "problems"), INVALID)
def test_admin_import_reports_the_same_problems_and_writes_nothing(
    admin_client, seed, text, problems
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    before = content()
    upload = SimpleUploadedFile("invalid.md", text.encode())
    response = admin_client.post("/admin/roadmap/roadmap/import/", {"file": upload})
    assert response.status_code == 200
    reported = re.findall(r"<li>(invalid\.md:\d+: [^<]*)</li>", response.content.decode())
    assert len(reported) == len(problems)
    for line, (number, message) in zip(reported, problems, strict=True):
        assert line.startswith(f"invalid.md:{number}: ") and html.escape(message) in line
    # Applying the same text straight away (without the preview) is refused just the same.
    response = admin_client.post(
        "/admin/roadmap/roadmap/import/", {"content": text, "step": "apply"}
    )
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert content() == before


def test_an_unreadable_file_is_a_clear_error(db, tmp_path):
    with pytest.raises(CommandError, match="cannot read it"):
        call_command("import_roadmap", str(tmp_path / "missing.md"))


def test_editor_notes_are_ignored():
    document = parse_roadmap(SEED.read_text())
    text = document.introduction + "".join(p.summary for p in document.parts)
    assert "strucure" not in text and "or maybe" not in text and "--" not in text
    assert [p.status for p in document.parts] == ["published", "coming_soon", "coming_soon"]


def test_export_writes_to_stdout_and_only_published_resources(seed, capsys):
    ResourceFactory(topic=Topic.objects.get(slug="math"), title="Draft one", status="draft")
    call_command("export_roadmap")
    out = capsys.readouterr().out
    assert out.startswith("# Deep Learning Roadmap\n")
    assert "## Deep learning basics\n<!-- slug: deep-learning-basics -->\n\n-- soon --" in out
    assert "Draft one" not in out


def test_export_with_no_roadmap_is_a_clear_error(db):
    with pytest.raises(CommandError, match="no roadmap"):
        call_command("export_roadmap")
