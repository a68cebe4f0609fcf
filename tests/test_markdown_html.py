"""Curators' Markdown is rendered once, when it is written, by the one safe renderer: a
page shows the stored HTML and renders none."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F

from roadmap.models import Part, Resource, Roadmap, Topic
from tests.factories import PartFactory, ResourceFactory, TopicFactory, build_roadmap

pytestmark = pytest.mark.django_db


def test_a_save_writes_the_html_and_a_page_shows_it(client, monkeypatch):
    resource = ResourceFactory(description="Read *this* <script>alert(1)</script>")
    assert resource.description_html == (
        "<p>Read <em>this</em> &lt;script&gt;alert(1)&lt;/script&gt;</p>\n"
    )
    topic = resource.topic
    topic.summary = "A **topic**"
    topic.save(update_fields=["summary"])  # a save of the Markdown alone writes it too
    topic.refresh_from_db()
    assert topic.summary_html == "<p>A <strong>topic</strong></p>\n"

    # The page renders no Markdown: it shows what was stored.
    import roadmap.templatetags.markdown as renderer

    def no_rendering(source):
        raise AssertionError("Markdown rendered while a page was built")

    monkeypatch.setattr(renderer._markdown, "render", no_rendering)
    page = client.get("/roadmaps/deep-learning/").content.decode()
    assert "<p>Read <em>this</em> &lt;script&gt;" in page
    assert "<p>A <strong>topic</strong></p>" in page
    assert "<script>alert" not in page
    assert client.get("/").status_code == 200


def test_rows_written_in_bulk_get_their_html():
    roadmap = build_roadmap(parts=1, topics_per_part=1, resources_per_topic=2)
    assert {r.description_html for r in Resource.objects.all()} == {
        "<p>A <em>useful</em> read.</p>\n"
    }
    resources = list(Resource.objects.all())
    for resource in resources:
        resource.description = "New **words**"
    Resource.objects.bulk_update(resources, ["description"])
    assert {r.description_html for r in Resource.objects.all()} == {
        "<p>New <strong>words</strong></p>\n"
    }
    parts = [PartFactory.build(roadmap=roadmap, order=9, slug="more", summary="_x_")]
    Part.objects.bulk_create(parts)
    assert Part.objects.get(slug="more").summary_html == "<p><em>x</em></p>\n"
    topics = [TopicFactory.build(part=parts[0], order=1, slug="t", summary="_y_")]
    Topic.objects.bulk_create(topics)
    assert Topic.objects.get(slug="t").summary_html == "<p><em>y</em></p>\n"
    # A queryset's update of the Markdown, too (and search follows the text it shows).
    Resource.objects.update(description="Updated *again*")
    assert {r.description_html for r in Resource.objects.all()} == {
        "<p>Updated <em>again</em></p>\n"
    }
    with pytest.raises(TypeError):
        Resource.objects.update(description=F("title"))


def test_the_importer_and_admin_write_it(admin_client, seed):
    text = (
        "# Deep Learning Roadmap\n\nAn *introduction*.\n\n## Part one: Basics\n\nThe _basics_.\n\n"
        "### Math\n\nSome **math**.\n\n* [Book](https://book.example/) - a `book`\n"
    )
    upload = SimpleUploadedFile("roadmap.md", text.encode())
    preview = admin_client.post("/admin/roadmap/roadmap/import/", {"file": upload})
    assert preview.status_code == 200
    admin_client.post("/admin/roadmap/roadmap/import/", {"step": "apply", "content": text})
    roadmap = Roadmap.objects.get(slug="deep-learning")
    assert roadmap.introduction_html == "<p>An <em>introduction</em>.</p>\n"
    book = Resource.objects.get(url="https://book.example/")
    assert book.description_html == "<p>a <code>book</code></p>\n"
    assert book.topic.summary_html == "<p>Some <strong>math</strong>.</p>\n"
    assert book.topic.part.summary_html == "<p>The <em>basics</em>.</p>\n"
    # Re-imported with another description: the bulk update writes the HTML with it.
    admin_client.post(
        "/admin/roadmap/roadmap/import/",
        {"step": "apply", "content": text.replace("a `book`", "a *good* book")},
    )
    book.refresh_from_db()
    assert book.description_html == "<p>a <em>good</em> book</p>\n"


def test_a_note_of_table_rows_filled_out_to_a_wide_header_stays_its_size(client, learner):
    """A table's rows are filled out to its header's width: a 9 KB note of a 256-column
    header over two-character rows took 7 s to save and made 3.3 MB of HTML, shown on
    every load of its roadmap. Past a few thousand cells, tables show as their pipes; a
    table of a usual size, quoted or not, still shows as a table."""
    from roadmap.models import Note
    from roadmap.templatetags.markdown import markdown
    from tests.factories import resources_in_one_topic

    [resource] = resources_in_one_topic(1)
    client.force_login(learner)
    wide = "|" + "a|" * 256 + "\n" + "|" + "-|" * 256 + "\n" + "a\n" * 256 + "\n"
    shapes = [
        wide,
        "> " + wide.replace("\n", "\n> "),  # quoted
        wide.replace("a\n", "a\n\x1c\n", 128),  # rows of what str.strip() takes for space
        wide.replace("a\n", "a\n\x85\n", 128),
    ]
    for text in (shape * (9000 // len(shape)) for shape in shapes):
        answer = client.post(f"/resources/{resource.public_id}/note", {"text": text})
        assert answer.status_code == 302
        note = Note.objects.get(user=learner)
        assert len(note.html) < 4 * len(text)
    # (Lines ended by "\r" alone, which markdown-it reads as lines, and a form never sends.)
    assert len(markdown(wide.replace("\n", "\r") * 30)) < 4 * len(wide) * 30
    usual = "| Book | Hours |\n|:---|---:|\n| DL | 40 |"
    for text in (usual, "> " + usual.replace("\n", "\n> ")):
        client.post(f"/resources/{resource.public_id}/note", {"text": text})
        html = Note.objects.get(user=learner).html
        assert '<td class="align-left">DL</td>' in html and "<table>" in html
