"""Four states per resource: not started, in progress, done, skipped. Done and skipped
count: floor(100 * (done + skipped) / total), the same on every bar, page and badge."""

import json
import re

import pytest

from roadmap.models import Progress
from roadmap.progress import Completion
from roadmap.services import progress_set, share_link_enable
from tests.factories import resources_in_one_topic
from tests.progress_helpers import ROADMAP, bars, ticked

STATES = ["not_started", "in_progress", "done", "skipped"]


@pytest.fixture
def five(db):
    return resources_in_one_topic(5)


@pytest.fixture
def learner_client(client, learner):
    client.force_login(learner)
    return client


def set_state(client, resource, state: str, *, htmx: bool = True):
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(
        f"/resources/{resource.public_id}/progress", {"state": state}, headers=headers
    )


def selected(html: str, resource) -> str:
    """The option the row's status select has selected."""
    select = re.search(
        rf'action="/resources/{resource.public_id}/progress".*?<select name="state" id="state-[^"]+"[^>]*>(.*?)</select>',
        html,
        re.S,
    )
    return re.search(r'<option value="(\w+)" selected>', select.group(1)).group(1)


@pytest.mark.parametrize(
    ("done", "skipped", "total", "percent"),
    [
        (0, 0, 3, 0),
        (1, 0, 3, 33),
        (0, 1, 3, 33),
        (1, 1, 3, 66),
        (0, 3, 3, 100),
        (2, 1, 3, 100),
        (0, 0, 0, 0),
    ],
)
def test_the_percentage_counts_done_and_skipped_rounded_down(done, skipped, total, percent):
    assert Completion(done, total, skipped).percent == percent


def test_all_skipped_reads_100_and_in_progress_counts_for_nothing(learner_client, learner, five):
    for resource in five:
        progress_set(user=learner, resource=resource, state="skipped")
    assert bars(learner_client.get(ROADMAP).content.decode())["overall"] == 100
    for resource in five:
        progress_set(user=learner, resource=resource, state="in_progress")
    page = learner_client.get(ROADMAP).content.decode()
    assert bars(page)["overall"] == 0 and ticked(page) == set()


def test_each_bar_says_what_it_is_made_of(learner_client, learner, five):
    progress_set(user=learner, resource=five[0], state="done")
    progress_set(user=learner, resource=five[1], state="done")
    progress_set(user=learner, resource=five[2], state="skipped")
    progress_set(user=learner, resource=five[3], state="in_progress")
    page = learner_client.get(ROADMAP).content.decode()
    assert bars(page)["overall"] == 60
    assert '60%<span class="progress-count"> · 2 done, 1 skipped of 5</span>' in page


@pytest.mark.parametrize("state", STATES)
def test_a_state_change_with_javascript_answers_in_place(learner_client, learner, five, state):
    response = set_state(learner_client, five[0], state)
    assert response.status_code == 200
    html = response.content.decode()
    assert selected(html, five[0]) == state
    assert (str(five[0].public_id) in ticked(html)) == (state == "done")
    assert bars(html)["overall"] == (20 if state in {"done", "skipped"} else 0)
    assert "marked as" in html and 'id="progress-announcer"' in html
    stored = Progress.objects.filter(user=learner, work__resources=five[0]).values_list(
        "state", flat=True
    )
    assert list(stored) == ([] if state == "not_started" else [state])


def test_a_state_change_without_javascript_saves_and_comes_back_to_the_row(learner_client, five):
    response = set_state(learner_client, five[1], "skipped", htmx=False)
    assert response.status_code == 302 and response["Location"].endswith(
        f"#resource-{five[1].public_id}"
    )
    page = learner_client.get(response["Location"]).content.decode()
    assert "R1 marked as skipped." in page
    assert selected(page, five[1]) == "skipped"
    assert (
        '<noscript><button class="button button-small">Save<span class="visually-hidden"> progress on R1'
        in page
    )


def test_the_checkbox_and_the_select_always_agree(learner_client, five):
    resource = five[2]
    url = f"/resources/{resource.public_id}/progress"
    learner_client.post(url, {"done": ["0", "1"]})
    page = learner_client.get(ROADMAP).content.decode()
    assert selected(page, resource) == "done" and str(resource.public_id) in ticked(page)
    set_state(learner_client, resource, "in_progress")
    page = learner_client.get(ROADMAP).content.decode()
    assert selected(page, resource) == "in_progress" and str(resource.public_id) not in ticked(page)
    set_state(learner_client, resource, "skipped")
    learner_client.post(url, {"done": ["0", "1"]})  # the quick way to done, from skipped
    page = learner_client.get(ROADMAP).content.decode()
    assert selected(page, resource) == "done" and str(resource.public_id) in ticked(page)
    learner_client.post(url, {"done": "0"})
    page = learner_client.get(ROADMAP).content.decode()
    assert selected(page, resource) == "not_started" and ticked(page) == set()


@pytest.mark.parametrize(
    ("was", "done", "state", "now"),
    [
        # The row's one form sends what it showed (was), both done values, and the select.
        ("not_started", ["1"], "not_started", "done"),  # the box ticked
        ("done", [], "done", "not_started"),  # the box unticked: it sends nothing
        ("skipped", ["1"], "skipped", "done"),  # ticked, from skipped
        ("in_progress", [], "in_progress", "in_progress"),  # Save, nothing changed
        ("done", ["1"], "skipped", "skipped"),  # the select changed
        ("not_started", [], "in_progress", "in_progress"),
        ("done", [], "in_progress", "in_progress"),  # both changed: the select wins
        ("done", ["0"], "done", "not_started"),  # a page from before: its hidden done=0
    ],
)
def test_the_control_the_learner_changed_wins(learner_client, learner, five, was, done, state, now):
    if was != "not_started":
        progress_set(user=learner, resource=five[0], state=was)
    data = {"was": was, "done": done, "state": state}
    for headers in ({}, {"HX-Request": "true"}):
        learner_client.post(f"/resources/{five[0].public_id}/progress", data, headers=headers)
        page = learner_client.get(ROADMAP).content.decode()
        assert selected(page, five[0]) == now
        assert (str(five[0].public_id) in ticked(page)) == (now == "done")


def test_the_completion_date_is_kept_between_done_and_skipped(learner, five):
    progress_set(user=learner, resource=five[0], state="done")
    first = Progress.objects.get(user=learner).completed_at
    progress_set(user=learner, resource=five[0], state="skipped")
    assert Progress.objects.get(user=learner).completed_at == first
    progress_set(user=learner, resource=five[0], state="done")
    assert Progress.objects.get(user=learner).completed_at == first
    # In progress is not completed: the date is when it was started, and done after it is
    # a completion of its own.
    progress_set(user=learner, resource=five[0], state="in_progress")
    started = Progress.objects.get(user=learner).completed_at
    assert started > first
    progress_set(user=learner, resource=five[0], state="in_progress")
    assert Progress.objects.get(user=learner).completed_at == started
    progress_set(user=learner, resource=five[0], state="done")
    assert Progress.objects.get(user=learner).completed_at > started


@pytest.mark.parametrize("value", ["", "finished", "DONE", "not started", "0"])
def test_an_unknown_state_is_refused_and_changes_nothing(learner_client, learner, five, value):
    progress_set(user=learner, resource=five[0], state="skipped")
    assert set_state(learner_client, five[0], value).status_code == 400
    assert list(Progress.objects.values_list("state", flat=True)) == ["skipped"]


@pytest.mark.parametrize("was", ["", "finished", "DONE"])
def test_an_unknown_shown_state_is_refused_and_changes_nothing(learner_client, learner, five, was):
    progress_set(user=learner, resource=five[0], state="skipped")
    data = {"was": was, "done": "1", "state": "done"}
    response = learner_client.post(f"/resources/{five[0].public_id}/progress", data)
    assert response.status_code == 400
    assert list(Progress.objects.values_list("state", flat=True)) == ["skipped"]


def test_the_share_page_badge_and_export_show_each_state(client, learner, five):
    for resource, state in zip(five, ["done", "skipped", "in_progress"], strict=False):
        progress_set(user=learner, resource=resource, state=state)
    token = share_link_enable(user=learner).token
    page = client.get(f"/p/{token}/").content.decode()
    for resource, mark in zip(five, ["tick-done", "tick-skipped", "tick-inprogress"], strict=False):
        row = page[page.index(f'id="resource-{resource.public_id}"') :][:600]
        assert mark in row
    assert '<span class="badge badge-skipped">Skipped</span>' in page
    assert '<span class="badge badge-inprogress">In progress</span>' in page
    assert bars(page)["overall"] == 40
    assert ">40%<" in client.get(f"/p/{token}/badge.svg").content.decode()
    client.force_login(learner)
    export = json.loads(client.get("/me/export.json").content)
    assert sorted(row["state"] for row in export["progress"]) == ["done", "in_progress", "skipped"]
    assert export["completion"] == {
        "deep-learning": {"done": 1, "skipped": 1, "total": 5, "percent": 40}
    }


def test_admin_counts_each_state_per_resource(admin_client, five):
    from tests.factories import UserFactory

    for state, learners in (("done", 3), ("in_progress", 2), ("skipped", 1)):
        for _ in range(learners):
            progress_set(user=UserFactory(), resource=five[0], state=state)
    html = admin_client.get("/admin/roadmap/resource/?q=R0").content.decode()
    row = html[html.index(">R0<") :]
    cells = re.findall(
        r'<td class="field-learners_(completed|in_progress|skipped)">(\d+)</td>', row
    )
    assert dict(cells[:3]) == {"completed": "3", "in_progress": "2", "skipped": "1"}
