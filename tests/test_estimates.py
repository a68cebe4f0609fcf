"""Curators' estimates of how long each resource takes: written in the reading list's
details comment (`<!-- hours: 6 -->`) and in admin, and a roadmap's total and a
learner's hours left shown where every resource that counts has one."""

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from roadmap.models import Resource, Roadmap
from roadmap.services import progress_set

LIST = """# Estimates
## Basics
### Reading
* [Book](https://book.example) <!-- kind: book, hours: 12 -->
* [Video](https://video.example)
  <!-- kind: video, hours: 1.5 -->
"""


@pytest.fixture
def imported(db, tmp_path):
    path = tmp_path / "estimates.md"
    path.write_text(LIST)
    call_command("import_roadmap", str(path), "--roadmap", "estimates", stdout=None)
    Roadmap.objects.filter(slug="estimates").update(status=Roadmap.Status.PUBLISHED)
    return {r.title: r for r in Resource.objects.all()}


def test_hours_are_read_from_the_list_and_written_back(imported, tmp_path):
    assert imported["Book"].hours == Decimal("12.0")
    assert imported["Video"].hours == Decimal("1.5")
    out = tmp_path / "out.md"
    call_command("export_roadmap", str(out), "--roadmap", "estimates")
    text = out.read_text()
    assert "<!-- kind: book, hours: 12 -->" in text
    assert "<!-- kind: video, hours: 1.5 -->" in text


@pytest.mark.parametrize("hours", ["lots", "0", "-2", "nan", "10000", "9999.95", "1e400"])
def test_hours_that_are_no_estimate_are_refused_by_line(db, tmp_path, hours):
    path = tmp_path / "bad.md"
    path.write_text(f"# R\n## A\n### T\n* [X](https://a.example)\n  <!-- hours: {hours} -->\n")
    with pytest.raises(CommandError, match=r":5: .*hours are a number"):
        call_command("import_roadmap", str(path))
    assert not Resource.objects.exists()


def test_the_roadmap_says_its_total_and_the_dashboard_the_hours_left(imported, client, learner):
    page = client.get("/roadmaps/estimates/").content.decode()
    assert "About 13.5 hours in all" in page
    assert "about 12 h" in page and "about 1.5 h" in page
    progress_set(user=learner, resource=imported["Book"], done=True)
    client.force_login(learner)
    dashboard = client.get("/me/").content.decode()
    assert "About 1.5 hours left of 13.5." in dashboard
    # One resource without an estimate: no total anywhere, rather than a wrong one.
    Resource.objects.filter(pk=imported["Video"].pk).update(hours=None)
    assert "hours in all" not in client.get("/roadmaps/estimates/").content.decode()
    assert "hours left" not in client.get("/me/").content.decode()


@pytest.mark.parametrize(("hours", "kept"), [("0", False), ("-1", False), ("2.5", True)])
def test_admin_takes_an_estimate_only_when_it_is_one(imported, admin_client, hours, kept):
    book = imported["Book"]
    url = f"/admin/roadmap/resource/{book.pk}/change/"
    form = admin_client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data |= {"topic": book.topic_id, "hours": hours, "learners_states": "keep"}
    response = admin_client.post(url, data)
    book.refresh_from_db()
    assert (book.hours == Decimal(hours)) is kept
    assert (response.status_code == 302) is kept
    if not kept:
        assert book.hours == Decimal("12.0")
