"""Several roadmaps in a real browser: a resource ticked in one roadmap is done, and
counted, in every roadmap that lists it."""

from urllib.parse import urlsplit, urlunsplit

import pytest
from playwright.sync_api import expect

from roadmap.models import Resource
from roadmap.services import share_link_enable
from tests.e2e.test_learner_journey import PYTHON_BOOK, bar, checkbox, serious_violations
from tests.factories import PartFactory, ResourceFactory, RoadmapFactory, TopicFactory
from tests.progress_helpers import ROADMAP

pytestmark = pytest.mark.usefixtures("seed")


@pytest.fixture
def vision(transactional_db):
    """A second track after the seed's, listing the seed's Python book (its URL written
    another way) and a paper of its own."""
    vision = RoadmapFactory(slug="computer-vision", title="Computer vision")
    vision.prerequisites.add(RoadmapFactory())
    topic = TopicFactory(part=PartFactory(roadmap=vision, title="Seeing"), title="Tools")
    book = urlsplit(Resource.objects.get(title=PYTHON_BOOK).url)
    again = book._replace(
        scheme="http", netloc=book.netloc.upper(), path=book.path.rstrip("/") + "/"
    )
    ResourceFactory(topic=topic, title="Python, again", url=urlunsplit(again))
    ResourceFactory(topic=topic, title="AlexNet")
    return vision


def test_a_tick_in_one_roadmap_shows_done_and_counted_in_another(new_page, learner, vision):
    page = new_page(user=learner)
    page.goto(ROADMAP)
    checkbox(page, PYTHON_BOOK).check()
    expect(bar(page, "Overall")).to_have_attribute("aria-valuenow", "20")
    page.goto("/")
    expect(bar(page, "Deep Learning Roadmap")).to_have_attribute("aria-valuenow", "20")
    expect(bar(page, "Computer vision")).to_have_attribute("aria-valuenow", "50")
    page.get_by_role("link", name="Continue Computer vision").click()
    expect(page).to_have_url("/roadmaps/computer-vision/")
    expect(checkbox(page, "Python, again")).to_be_checked()
    expect(bar(page, "Overall")).to_have_attribute("aria-valuenow", "50")
    expect(bar(page, "Tools")).to_have_attribute("aria-valuenow", "50")
    expect(page.get_by_role("complementary", name="Before this")).to_contain_text(
        "Deep Learning Roadmap — you are 20% through"
    )
    # And back: unticked here, it is not done in the first roadmap either.
    checkbox(page, "Python, again").uncheck()
    expect(bar(page, "Overall")).to_have_attribute("aria-valuenow", "0")
    expect(page.get_by_role("complementary", name="Before this")).to_contain_text(
        "Deep Learning Roadmap — you are 0% through"  # in place: it lists the book too
    )
    page.goto(ROADMAP)
    expect(checkbox(page, PYTHON_BOOK)).not_to_be_checked()
    expect(bar(page, "Overall")).to_have_attribute("aria-valuenow", "0")


def test_an_old_link_into_the_roadmap_lands_on_it(new_page, learner):
    page = new_page(user=learner)
    book = Resource.objects.get(title=PYTHON_BOOK)
    page.goto(f"/#{book.anchor}")
    expect(page).to_have_url(f"{ROADMAP}#{book.anchor}")
    expect(checkbox(page, PYTHON_BOOK)).to_be_visible()


def test_the_pages_of_several_roadmaps_have_no_serious_accessibility_problems(
    new_page, learner, vision
):
    page = new_page(user=learner)
    page.goto(ROADMAP)
    checkbox(page, PYTHON_BOOK).check()
    expect(bar(page, "Overall")).to_have_attribute("aria-valuenow", "20")
    share = share_link_enable(user=learner).get_absolute_url()
    for path in ["/", "/roadmaps/computer-vision/", "/me/", "/me/reset/", "/me/sharing/", share]:
        page.goto(path)
        assert serious_violations(page) == [], path


def test_a_url_listed_twice_on_one_page_is_ticked_in_both_places_at_once(new_page, learner):
    """Twice in one roadmap (data from before URLs were compared as they are now): the
    other row changes in place too, out of band."""
    book = Resource.objects.get(title=PYTHON_BOOK)
    ResourceFactory(topic=TopicFactory(part=book.topic.part), title="Python twice", url=book.url)
    page = new_page(user=learner)
    page.goto(ROADMAP)
    page.evaluate("window.__sameDocument = 'yes'")
    checkbox(page, PYTHON_BOOK).check()
    expect(checkbox(page, "Python twice")).to_be_checked()
    expect(page.get_by_label("Status of Python twice")).to_have_value("done")
    expect(bar(page, "Overall")).to_have_attribute("aria-valuenow", "20")  # one of five
    checkbox(page, "Python twice").uncheck()
    expect(checkbox(page, PYTHON_BOOK)).not_to_be_checked()
    assert page.evaluate("window.__sameDocument") == "yes"
