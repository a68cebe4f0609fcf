"""What the API answers, as its OpenAPI schema states it: plain pydantic models. (Ninja's
`Schema` reads every field of every item through its getter for Django objects; these
answers are made of dicts, and a page of 100 resources of GET /me/progress took 7.6 ms
in-process through it, 5.0 without.)"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from roadmap.models import Progress

State = Literal["not_started", "in_progress", "done", "skipped"]
assert set(State.__args__) == set(Progress.State.values)  # noqa: S101 (one list of states)


class Error(BaseModel):
    """Every error: a code a program can test and a sentence a person can read."""

    code: str = Field(examples=["not_authenticated"])
    detail: str
    errors: list[dict] | None = Field(None, description="What is wrong with the input (422).")


class Page(BaseModel):
    """A page of a long list: `limit` and `offset` in the query pick it."""

    count: int = Field(description="How many there are in all.")
    next: str | None = Field(description="The next page's URL, if there is one.")
    previous: str | None = Field(description="The previous page's URL, if there is one.")


class RoadmapSummary(BaseModel):
    slug: str
    title: str
    summary: str = Field(description="Markdown.")
    url: str = Field(description="The roadmap's page.")
    resources: int = Field(description="How many resources count toward its progress.")
    hours: float | None = Field(
        description="Hours, by its curators' estimates (when each has one)."
    )
    prerequisites: list[str] = Field(description="The slugs of roadmaps to take first.")


class RoadmapList(Page):
    items: list[RoadmapSummary]


class ResourceOut(BaseModel):
    id: UUID = Field(description="The resource's public id.")
    title: str
    url: str
    kind: str
    level: str = Field(description="beginner, intermediate, advanced, or empty: not said.")
    cost: str = Field(description="free, paid, or empty: unknown.")
    hours: float | None = Field(description="Hours, by its curators' estimate.")
    description: str = Field(description="Markdown.")


class TopicOut(BaseModel):
    slug: str
    title: str
    summary: str
    resources: list[ResourceOut]


class PartOut(BaseModel):
    slug: str
    title: str
    summary: str
    status: Literal["published", "coming_soon"]
    topics: list[TopicOut]


class RoadmapOut(RoadmapSummary):
    introduction: str = Field(description="Markdown.")
    parts: list[PartOut]


class Figure(BaseModel):
    """A learner's completion of one roadmap, as every page shows it."""

    roadmap: str = Field(description="The roadmap's slug.")
    done: int
    skipped: int
    total: int
    percent: int = Field(description="floor(100 * (done + skipped) / total)")


class Listing(BaseModel):
    """Where a resource is listed."""

    id: UUID
    title: str
    url: str
    roadmap: str
    part: str
    topic: str


class WorkProgress(BaseModel):
    """A learner's state of one resource: the same URL listed in several places is one."""

    state: State
    since: datetime | None = Field(
        description="Done or skipped: when it was completed; in progress: when it was started."
    )
    counts: bool = Field(description="Whether it counts toward a roadmap's progress now.")
    url: str | None = Field(description="Its address (None when no roadmap lists it now).")
    listed_in: list[Listing]


class ProgressOut(Page):
    roadmaps: list[Figure] = Field(description="Each published roadmap's figures.")
    items: list[WorkProgress]


class StateIn(BaseModel):
    state: State


class ProgressSetOut(BaseModel):
    id: UUID
    state: State
    roadmaps: list[Figure] = Field(description="The figures of each roadmap listing it.")


class ActivityItem(BaseModel):
    at: datetime
    day: date = Field(description="The learner's date then, in their time zone then.")
    before: State = Field(description="The state it was in.")
    after: State = Field(description="The state it was put in.")
    resource: Listing | None = Field(description="Where it is first listed now, if anywhere.")


class ActivityOut(Page):
    current_streak: int
    longest_streak: int
    this_week: int
    weekly_goal: int | None
    items: list[ActivityItem] = Field(description="Each change of state, newest first.")
