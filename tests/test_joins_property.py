"""Joins and their undoing, for any states: whatever a learner had on three works,
whichever joins a curator made between them, undoing every one (in an order that sets
each URL back) leaves the learner exactly as they were, down to each date; an undoing
that would take a later join's doing with it is refused, and changes nothing. And a
visitor who signs up or logs in at any step between keeps what signing up alone would
have given them."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roadmap.models import Note, Progress, VisitorProgress, Work
from roadmap.services import visitor_progress_merge, work_join, work_join_undo
from tests.factories import UserFactory

STATE = st.sampled_from([None, "in_progress", "done", "skipped"])
ROWS = st.lists(st.tuples(STATE, st.integers(-2, 2), st.booleans()), min_size=3, max_size=3)
# Joins as curators make them (a work joined away has no listing left to join from, or
# into, until that join is undone), each with the orders that set every URL back: a
# chain's, the newest first (the corrected resource lists C, then B, then A again); two
# joins into one work, either, the older first refused while the newer is open.
JOINS = st.sampled_from(
    [
        ([(0, 1)], [(0,)]),
        ([(0, 1), (1, 2)], [(1, 0)]),  # A into B, then B into C
        ([(1, 0), (0, 2)], [(1, 0)]),
        ([(0, 2), (1, 2)], [(1, 0), (0, 1)]),  # two into C
        ([(0, 1), (2, 1)], [(1, 0), (0, 1)]),
    ]
)
T0 = datetime(2026, 1, 5, 12, tzinfo=UTC)


def as_they_are(learner, works) -> list:
    states = {r.work_id: (r.state, r.completed_at) for r in Progress.objects.filter(user=learner)}
    notes = {n.work_id: (n.text, n.updated_at) for n in Note.objects.filter(user=learner)}
    return [(states.get(work.pk), notes.get(work.pk)) for work in works]


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=ROWS, joins=JOINS, data=st.data())
def test_every_join_undone_leaves_each_learner_as_they_were(rows, joins, data):
    joins, orders = joins
    order = data.draw(st.sampled_from(orders), label="undone in this order")
    with transaction.atomic():
        works = [Work.objects.create(url_key=f"//{i}.example/") for i in range(3)]
        learner = UserFactory()
        for i, (work, (state, hours, noted)) in enumerate(zip(works, rows, strict=True)):
            when = T0 + timedelta(hours=hours)
            if state:
                Progress.objects.create(user=learner, work=work, state=state, completed_at=when)
            if noted:
                Note.objects.create(user=learner, work=work, text=f"On {i}")
        before = as_they_are(learner, works)

        made = [work_join(from_work=works[a], into_work=works[b]) for a, b in joins]
        joined = as_they_are(learner, works)
        if order != tuple(sorted(order, reverse=True)):  # the older of two into one first
            with pytest.raises(ValidationError, match="set that URL back first"):
                work_join_undo(join=made[order[0]])
            assert as_they_are(learner, works) == joined
            order = tuple(sorted(order, reverse=True))
        for which in order:
            work_join_undo(join=made[which])

        assert as_they_are(learner, works) == before
        transaction.set_rollback(True)


VISITOR_ROWS = st.lists(st.tuples(STATE, st.integers(-2, 2)), min_size=3, max_size=3)


def world(tag: str, learner_rows, visitor_rows):
    """Three works; a learner's rows on them (dated on the hour), a visitor's (on the half
    hour: a date tells whose a row was)."""
    works = [Work.objects.create(url_key=f"//{tag}{i}.example/") for i in range(3)]
    learner, visitor = UserFactory(), f"{tag}-visitor".ljust(32, "x")
    for work, (state, hours, _noted), (theirs, their_hours) in zip(
        works, learner_rows, visitor_rows, strict=True
    ):
        if state:
            when = T0 + timedelta(hours=hours)
            Progress.objects.create(user=learner, work=work, state=state, completed_at=when)
        if theirs:
            when = T0 + timedelta(hours=their_hours, minutes=30)
            VisitorProgress.objects.create(
                visitor=visitor, work=work, state=theirs, completed_at=when
            )
    return works, learner, visitor


@pytest.mark.django_db
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=ROWS, visitor_rows=VISITOR_ROWS, joins=JOINS, data=st.data())
def test_a_visitor_signing_up_between_joins_keeps_what_signing_up_alone_gives(
    rows, visitor_rows, joins, data
):
    joins, orders = joins
    order = tuple(sorted(data.draw(st.sampled_from(orders)), reverse=True))
    steps = [("join", join) for join in joins] + [("undo", which) for which in order]
    signs_up = data.draw(st.integers(0, len(steps)), label="signs up after so many steps")
    with transaction.atomic():
        alone, learner_alone, visitor_alone = world("alone", rows, visitor_rows)
        visitor_progress_merge(user=learner_alone, session={"visitor": visitor_alone})
        works, learner, visitor = world("joined", rows, visitor_rows)
        made = []
        for step, (what, which) in enumerate([*steps, (None, None)]):
            if step == signs_up:
                visitor_progress_merge(user=learner, session={"visitor": visitor})
            if what == "join":
                made.append(work_join(from_work=works[which[0]], into_work=works[which[1]]))
            elif what == "undo":
                work_join_undo(join=made[which])

        assert [s for s, _ in as_they_are(learner, works)] == [
            s for s, _ in as_they_are(learner_alone, alone)
        ]
        assert not VisitorProgress.objects.filter(visitor=visitor).exists()
        transaction.set_rollback(True)
