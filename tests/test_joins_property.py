"""Joins and their undoing, for any states: whatever a learner had on three works,
whichever joins a curator made between them, undoing every one (in an order that sets
each URL back) leaves the learner exactly as they were, down to each date; an undoing
that would take a later join's doing with it is refused, and changes nothing."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roadmap.models import Note, Progress, Work
from roadmap.services import work_join, work_join_undo
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
