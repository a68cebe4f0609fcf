"""Two learners and a visitor at once, against several threads of one process (Django's
threaded live server): pages are rendered once and shared, and yet nobody ever sees
anyone else's name, ticks, figures, messages or CSRF token."""

import http.cookiejar
import re
import threading
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest

from roadmap.models import Resource
from roadmap.services import progress_set
from tests.factories import UserFactory
from tests.progress_helpers import ROADMAP, bars, ticked

PASSWORD = "correct horse battery staple"
ROUNDS = 15
# The random CSRF tokens a page carries may spell a name by chance ("…xAdaQ…"): the names
# are looked for in the page without them.
TOKEN = re.compile(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]*')


def text_of(page: str) -> str:
    return TOKEN.sub(r"\1", page)


class Person:
    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.token = ""

    def get(self, path: str) -> str:
        with self.opener.open(f"{self.base}{path}", timeout=30) as response:
            page = response.read().decode()
        if found := re.search(r'"X-CSRFToken": "([^"]+)"', page):
            self.token = found.group(1)
        return page

    def post(self, path: str, data: dict, htmx: bool = True) -> int:
        headers = {"X-CSRFToken": self.token, "Referer": f"{self.base}{path}"}
        if htmx:
            headers["HX-Request"] = "true"
        request = urllib.request.Request(
            f"{self.base}{path}", data=urlencode(data).encode(), headers=headers
        )
        try:
            with self.opener.open(request, timeout=30) as response:
                response.read()
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def log_in(self, username: str) -> None:
        self.get("/accounts/login/")
        self.token = next(c.value for c in self.jar if c.name == "csrftoken")
        assert (
            self.post("/accounts/login/", {"login": username, "password": PASSWORD}, False) == 200
        )
        self.get(ROADMAP)  # logging in rotated the token


@pytest.mark.django_db(transaction=True)
def test_learners_and_a_visitor_at_once_each_see_only_their_own(live_server, seed, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    resources = list(Resource.objects.counted().order_by("pk"))
    second, third, fifth = (resources[i] for i in (1, 2, 4))
    UserFactory(username="ada", display_name="Ada", password=PASSWORD)
    bob = UserFactory(username="bob", display_name="Bob", password=PASSWORD)
    for resource in (second, third):
        progress_set(user=bob, resource=resource, done=True)
    ada, bobs, visitor = Person(live_server.url), Person(live_server.url), Person(live_server.url)
    ada.log_in("ada")
    bobs.log_in("bob")
    failures: list[str] = []
    start = threading.Barrier(3)

    def check(condition: bool, what: str) -> None:
        if not condition:
            failures.append(what)

    def as_ada() -> None:
        start.wait()
        for n in range(ROUNDS):
            done = n % 2 == 0
            # Ada ticks and unticks `fifth`; now and then without JavaScript (a message).
            check(
                ada.post(f"/resources/{fifth.public_id}/progress", {"done": int(done)}, n % 5 != 0)
                == 200,
                "ada's tick",
            )
            page = ada.get(ROADMAP)
            mine = {str(fifth.public_id)} if done else set()
            check(ticked(page) == mine, f"ada's ticks {ticked(page)}")
            check(bars(page)["overall"] == (20 if done else 0), "ada's figures")
            dashboard = ada.get("/me/")
            check("Hello, Ada." in dashboard and "Bob" not in text_of(dashboard), "ada's name")

    def as_bob() -> None:
        start.wait()
        for _ in range(ROUNDS):
            check(
                bobs.post(f"/resources/{second.public_id}/progress", {"done": 1}) == 200,
                "bob's tick",
            )
            page = bobs.get(ROADMAP)
            check(ticked(page) == {str(second.public_id), str(third.public_id)}, "bob's ticks")
            check(bars(page)["overall"] == 40 and "marked as" not in page, "bob's figures")
            dashboard = bobs.get("/me/")
            check("Hello, Bob." in dashboard and "Ada" not in text_of(dashboard), "bob's name")
            check("marked as" not in dashboard, "bob sees someone's message")

    def as_visitor() -> None:
        start.wait()
        for _ in range(ROUNDS):
            page = visitor.get(ROADMAP)
            check(ticked(page) == set() and bars(page)["overall"] == 0, "the visitor's page")
            names = text_of(page)
            check("X-CSRFToken" not in page and "Ada" not in names and "Bob" not in names, "names")

    def run(job) -> None:
        try:
            job()
        except Exception as error:  # a failed request is a failed check
            failures.append(f"{job.__name__}: {error!r}")

    threads = [threading.Thread(target=run, args=(job,)) for job in (as_ada, as_bob, as_visitor)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a learner never finished"
    assert failures == [], failures
    # Each learner's token worked for their own session only: every POST above was 200,
    # and Ada's token is refused with Bob's cookie.
    bobs.token = ada.token
    assert bobs.post(f"/resources/{second.public_id}/progress", {"done": 1}) == 403
