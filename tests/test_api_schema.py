"""The API against its own OpenAPI schema, fuzzed by schemathesis in this process: every
operation, with a write token of one learner beside another learner's data. No answer is
a 5xx, every answer is as the schema says, and a write never changes the other learner's
data."""

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from activity.models import Event
from api.auth import per_token
from api.models import Token, digest_of
from config.wsgi import application
from roadmap.models import Progress, Resource
from roadmap.services import progress_set
from tests.factories import UserFactory, build_roadmap

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
# What the fuzzer's examples may name beside what it makes up: the values that exist
# (filled in by the `world` fixture), so that writes that succeed are tried too.
KNOWN: dict[str, list] = {"public_id": [], "slug": []}
# The learner's token (its cases are built before any test runs: it is known already).
SECRET = "dlr_the-fuzzers-own-token-made-by-the-world-fixture"


@schema.hook
def flatmap_case(context, case):
    """Valid examples also name what exists: writes that succeed are tried too."""
    if case.meta is None or case.meta.generation.mode != "positive" or not case.path_parameters:
        return st.just(case)
    choices = [case] + [
        case.operation.Case(
            path_parameters={**case.path_parameters, name: value},
            query=case.query,
            headers=case.headers,
            body=case.body,
            media_type=case.media_type,
        )
        for name, values in KNOWN.items()
        if name in case.path_parameters
        for value in values
    ]
    return st.sampled_from(choices)


@schema.auth()
class LearnersToken:
    """The token the `world` fixture made, for every operation that takes one."""

    def get(self, case, context):
        return SECRET

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


def other_learners_data(user) -> tuple:
    return (
        sorted(Progress.objects.filter(user=user).values_list("work_id", "state", "completed_at")),
        Event.objects.filter(user=user).count(),
    )


@pytest.fixture
def in_this_transaction():
    """Requests through the WSGI app share the test's connection, as Django's test client
    makes them: they must not close it at their end."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def world(db, monkeypatch, in_this_transaction):
    build_roadmap(parts=2, topics_per_part=2, resources_per_topic=3)
    learner, other = UserFactory(), UserFactory()
    resources = list(Resource.objects.all())
    for resource in resources[:4]:
        progress_set(user=other, resource=resource, state="done")
    progress_set(user=learner, resource=resources[0], state="in_progress")
    KNOWN["public_id"][:] = [str(r.public_id) for r in resources[:3]]
    KNOWN["slug"][:] = ["deep-learning"]
    monkeypatch.setattr(per_token, "num_requests", 10_000)  # the fuzzer is one busy client
    Token.objects.create(user=learner, name="fuzz", scope="write", digest=digest_of(SECRET))
    return {"other": other, "before": other_learners_data(other)}


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_keeps_to_its_schema(case, world):
    case.call_and_validate()
    assert other_learners_data(world["other"]) == world["before"]
