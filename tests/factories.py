"""factory_boy factories for every model the tests build."""

import factory
from django.contrib.auth import get_user_model

from roadmap.models import Part, Resource, Roadmap, Topic


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"learner{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password("correct horse battery staple")


class StaffFactory(UserFactory):
    username = factory.Sequence(lambda n: f"curator{n}")
    is_staff = True


class CuratorFactory(StaffFactory):
    """A member of the Curators group, the group made as the data migrations make it: a
    test that flushed the database (a transactional one) takes their rows with it, and
    under `pytest -n` such a test may run before any other."""

    @factory.post_generation
    def curators(self, create, extracted, **kwargs):
        from django.contrib.auth.models import Group, Permission

        from roadmap.curators import curators_group_sync

        group = curators_group_sync(group_model=Group, permission_model=Permission)
        curators_group_sync(  # the queue's and insights' (curation's migration grants them)
            group_model=Group,
            permission_model=Permission,
            app_label="curation",
            models=["suggestion", "report", "insights"],
        )
        self.groups.add(group)


class RoadmapFactory(factory.django.DjangoModelFactory):
    """The first roadmap, `deep-learning`, published, unless told otherwise: every part
    made without a roadmap is in it."""

    class Meta:
        model = Roadmap
        django_get_or_create = ("slug",)

    title = "Deep Learning Roadmap"
    slug = "deep-learning"
    introduction = "A path into deep learning."
    status = Roadmap.Status.PUBLISHED


class PartFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Part

    roadmap = factory.SubFactory(RoadmapFactory)
    title = factory.Sequence(lambda n: f"Part {n}")
    slug = factory.Sequence(lambda n: f"part-{n}")
    order = None  # appended after its siblings
    status = Part.Status.PUBLISHED


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic

    part = factory.SubFactory(PartFactory)
    title = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.Sequence(lambda n: f"topic-{n}")
    order = None  # appended after its siblings


class ResourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resource

    topic = factory.SubFactory(TopicFactory)
    title = factory.Sequence(lambda n: f"Resource {n}")
    url = factory.Sequence(lambda n: f"https://example.com/resources/{n}")
    kind = Resource.Kind.ARTICLE
    description = "A *useful* read."
    order = None  # appended after its siblings
    status = Resource.Status.PUBLISHED


def build_roadmap(
    *, parts: int, topics_per_part: int, resources_per_topic: int, **roadmap
) -> Roadmap:
    """A published roadmap of the given shape (by default the first), inserted in bulk."""
    roadmap = RoadmapFactory(**roadmap)
    part_objs = Part.objects.bulk_create(
        PartFactory.build(roadmap=roadmap, order=p + 1, slug=f"p{p}") for p in range(parts)
    )
    topic_objs = Topic.objects.bulk_create(
        TopicFactory.build(part=part, order=t + 1, slug=f"t{t}")
        for part in part_objs
        for t in range(topics_per_part)
    )
    Resource.objects.bulk_create(
        ResourceFactory.build(topic=topic, order=r + 1)
        for topic in topic_objs
        for r in range(resources_per_topic)
    )
    return roadmap


def resources_in_one_topic(count: int, title: str = "R") -> list:
    """One part, one topic, and `count` resources in it, titled "<title>0", "<title>1"..."""
    topic = TopicFactory(part=PartFactory())
    return [ResourceFactory(topic=topic, title=f"{title}{n}") for n in range(count)]


def topic_page_form(topic, resources) -> dict:
    """What admin's page of `topic` posts, unchanged: the topic's fields and a row of its
    inline for each of `resources`."""
    data = {
        "part": topic.part_id,
        "title": topic.title,
        "slug": topic.slug,
        "summary": "",
        "order": topic.order,
        "resources-TOTAL_FORMS": len(resources),
        "resources-INITIAL_FORMS": len(resources),
        "resources-MIN_NUM_FORMS": "0",
        "resources-MAX_NUM_FORMS": "1000",
    }
    for index, resource in enumerate(resources):
        for name in ["title", "status", "url", "kind", "level", "cost", "description", "order"]:
            data[f"resources-{index}-{name}"] = getattr(resource, name)
        data[f"resources-{index}-id"] = resource.pk
        data[f"resources-{index}-topic"] = topic.pk
    return data
