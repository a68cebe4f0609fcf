"""One rule for what counts toward progress (Resource.objects.counted()): change each of
its inputs, and the roadmap page, the dashboard, the share page, the badge, the export
and admin all agree."""

import json
import re

import pytest

from roadmap.models import Part, Resource
from roadmap.services import progress_set, share_link_enable
from tests.factories import PartFactory, ResourceFactory, RoadmapFactory, TopicFactory, UserFactory
from tests.progress_helpers import ROADMAP, bars


@pytest.fixture
def world(db):
    roadmap = RoadmapFactory()
    a, b = PartFactory(roadmap=roadmap), PartFactory(roadmap=roadmap)
    ta, tb = TopicFactory(part=a), TopicFactory(part=b)
    resources = [ResourceFactory(topic=ta) for _ in range(3)] + [
        ResourceFactory(topic=tb) for _ in range(2)
    ]
    ada = UserFactory(display_name="Ada")
    for resource in resources[:2] + resources[3:4]:  # 2 in part a, 1 in part b
        progress_set(user=ada, resource=resource, done=True)
    return {
        "a": a,
        "b": b,
        "resources": resources,
        "ada": ada,
        "token": share_link_enable(user=ada).token,
    }


def everywhere(client, world) -> set:
    """The overall percentage as each place shows it."""
    client.force_login(world["ada"])
    found = {
        "roadmap": bars(client.get(ROADMAP).content.decode())["overall"],
        "dashboard": bars(client.get("/me/").content.decode())["overall"],
        "share": bars(client.get(f"/p/{world['token']}/").content.decode())["overall"],
    }
    badge = client.get(f"/p/{world['token']}/badge.svg").content.decode()
    found["badge"] = int(re.search(r">(\d+)%<", badge).group(1))
    export = json.loads(client.get("/me/export.json").content)
    found["export"] = export["completion"]["deep-learning"]["percent"]
    counted_rows = sum(row["counts_toward_progress"] for row in export["progress"])
    assert counted_rows == export["completion"]["deep-learning"]["done"]
    return found


def admin_counts(admin_client) -> dict[str, bool]:
    """Resource title: whether admin says it counts toward progress."""
    html = admin_client.get("/admin/roadmap/resource/?o=1").content.decode()
    rows = re.findall(
        r'<th class="field-title"><a [^>]*>([^<]+)</a>.*?field-counts">(.*?)</td>', html, re.S
    )
    return {title: "icon-yes" in cell for title, cell in rows}


def expect(client, admin_client, world, percent: int, counted: list[int]) -> None:
    """Every place shows `percent`; admin says the resources numbered `counted` count."""
    assert set(everywhere(client, world).values()) == {percent}, everywhere(client, world)
    titles = {world["resources"][n].title for n in counted}
    assert {t for t, yes in admin_counts(admin_client).items() if yes} == titles


def test_every_page_the_badge_export_and_admin_agree_on_what_counts(client, admin_client, world):
    second, third = world["resources"][1:3]
    expect(client, admin_client, world, 60, [0, 1, 2, 3, 4])  # 3 of 5
    Resource.objects.filter(pk=second.pk).update(status=Resource.Status.ARCHIVED)
    expect(client, admin_client, world, 50, [0, 2, 3, 4])  # 2 of 4: an archived tick leaves
    Resource.objects.filter(pk=third.pk).update(status=Resource.Status.DRAFT)
    expect(client, admin_client, world, 66, [0, 3, 4])  # 2 of 3: an unticked draft leaves
    Part.objects.filter(pk=world["b"].pk).update(status=Part.Status.DRAFT)
    expect(client, admin_client, world, 100, [0])  # 1 of 1: the part back to draft
    Part.objects.filter(pk=world["b"].pk).update(status=Part.Status.COMING_SOON)
    expect(client, admin_client, world, 100, [0])  # coming soon counts nothing either
    Part.objects.filter(pk=world["b"].pk).update(status=Part.Status.PUBLISHED)
    Resource.objects.filter(pk__in=[second.pk, third.pk]).update(status=Resource.Status.PUBLISHED)
    expect(client, admin_client, world, 60, [0, 1, 2, 3, 4])  # everything back, ticks too
