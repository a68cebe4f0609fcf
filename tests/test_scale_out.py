"""Two production server processes (scripts/serve) on different ports, one PostgreSQL,
and the repository's own nginx (deploy/nginx.conf) in front of them, as deployed:
sessions, ticks and the login rate limits are shared between the processes, and keyed on
the client's address, not the proxy's."""

import gzip
import http.client
import http.cookiejar
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import pytest
from django.db import connection

from roadmap.models import Resource
from scripts.localserver import launch_server, wait_for
from tests.factories import UserFactory
from tests.progress_helpers import ticked

REPO = Path(__file__).resolve().parent.parent
# Behind a proxy every process sees the site's one public host name, whatever its port.
PUBLIC_HOST = "roadmap.test"
PASSWORD = "a-long-Passphrase-42"
SERVER_APPLICATION = "roadmap-test-server"


# Each test's rows are its own (written and committed by the test, emptied after it); the
# servers, started once for the module, read them through their own connections.
pytestmark = pytest.mark.usefixtures("transactional_db", "seed")


@pytest.fixture(scope="module")
def servers(django_db_setup):
    """Two gunicorn processes against the test database, shared by the module's tests.
    What they keep in memory is keyed by content versions, which a sequence hands out, so
    one test's renderings are never another's."""
    url = urlsplit(os.environ["DATABASE_URL"])
    env = {
        **os.environ,
        # Named, so that a test can drop the servers' connections and no others.
        "DATABASE_URL": urlunsplit(
            url._replace(
                path="/" + connection.settings_dict["NAME"],
                query="&".join(filter(None, [url.query, f"application_name={SERVER_APPLICATION}"])),
            )
        ),
        "DJANGO_DEBUG": "0",
        "DJANGO_ALLOWED_HOSTS": f"{PUBLIC_HOST},127.0.0.1",
        # As in docker-compose.yml: one proxy of ours in front.
        "ALLAUTH_TRUSTED_PROXY_COUNT": "1",
        "DJANGO_SETTINGS_MODULE": "tests.server_settings",
    }
    # Both start at once: each waits on its own imports, not on the other's.
    launched = [launch_server(env, workers=1, threads=2) for _ in range(2)]
    started = [wait_for(*server) for server in launched]
    processes, bases = [p for p, _ in started], [b for _, b in started]
    yield bases
    for process in processes:
        process.terminate()
        process.wait(timeout=30)


def nginx_conf(upstreams: list[str], port: int) -> str:
    """deploy/nginx.conf with only its addresses adapted: the upstream servers, and the
    port it listens on."""
    site = (REPO / "deploy" / "nginx.conf").read_text()
    servers = "".join(f"server {urlsplit(base).netloc};\n    " for base in upstreams)
    adapted = site.replace("server web:8000;\n    ", servers).replace(
        "listen 80;", f"listen 127.0.0.1:{port};"
    )
    assert adapted != site and "web:8000" not in adapted and f":{port};" in adapted
    return adapted


@pytest.fixture(scope="module")
def proxy(servers):
    """nginx in front of both servers: the base URL clients use."""
    from scripts.localserver import free_port
    from tests.conftest import NGINX

    # Not under pytest's private tmp folder: nginx's workers (an unprivileged user when
    # run as root) write their buffers here.
    prefix = Path(tempfile.mkdtemp(prefix="nginx-"))
    prefix.chmod(0o755)
    port = free_port()
    (prefix / "site.conf").write_text(nginx_conf(servers, port))
    (prefix / "nginx.conf").write_text(
        f"""
daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 128; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include {prefix}/site.conf;
}}
"""
    )
    command = [NGINX, "-e", f"{prefix}/error.log", "-p", str(prefix), "-c", f"{prefix}/nginx.conf"]
    check = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stderr
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=2).read()
            break
        except OSError:
            time.sleep(0.1)
    else:
        raise RuntimeError(f"nginx did not answer: {(prefix / 'error.log').read_text()}")
    yield base
    process.terminate()
    process.wait(timeout=30)
    shutil.rmtree(prefix, ignore_errors=True)


class FromAddress(urllib.request.HTTPHandler):
    """Connects from one loopback address (127.0.0.2, ...): a client of its own."""

    def __init__(self, address: str) -> None:
        super().__init__()
        self.address = address

    def http_open(self, req):
        return self.do_open(http.client.HTTPConnection, req, source_address=(self.address, 0))


class Browser:
    """One browser: the same cookies and Host header whichever server it reaches; from its
    own address, when it is given one."""

    def __init__(self, address: str | None = None) -> None:
        self.jar = http.cookiejar.CookieJar()
        handlers = [urllib.request.HTTPCookieProcessor(self.jar)]
        if address is not None:
            handlers.append(FromAddress(address))
        self.opener = urllib.request.build_opener(*handlers)

    def get(self, url: str, **headers) -> tuple[int, str]:
        request = urllib.request.Request(url, headers={"Host": PUBLIC_HOST, **headers})
        try:
            with self.opener.open(request, timeout=20) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def sign_up(self, base: str, username: str, password: str = PASSWORD) -> int:
        """Sign up through the server at `base`; signed in at once. The answer's status."""
        self.get(f"{base}/accounts/signup/")
        data = {"username": username, "email": f"{username}@example.com", "password1": password}
        return self.post(f"{base}/accounts/signup/", data)[0]

    def post(self, url: str, data: dict, **headers) -> tuple[int, str]:
        if not any(c.name == "csrftoken" for c in self.jar):
            origin = urlunsplit(urlsplit(url)._replace(path="/", query=""))
            self.get(f"{origin}accounts/login/")
        csrf = next(c.value for c in self.jar if c.name == "csrftoken")
        request = urllib.request.Request(
            url,
            data=urlencode(data).encode(),
            headers={"Host": PUBLIC_HOST, "X-CSRFToken": csrf, "Referer": url, **headers},
        )
        try:
            with self.opener.open(request, timeout=20) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


def test_a_session_made_through_one_process_works_through_the_other(servers):
    a, b = servers
    browser = Browser()
    assert browser.sign_up(a, "ada") == 200  # followed the redirect home, logged in
    status, html = browser.get(f"{b}/me/")
    assert status == 200 and "Hello, ada." in html


def test_a_tick_made_through_one_process_shows_through_the_other(servers):
    a, b = servers
    browser = Browser()
    assert browser.sign_up(a, "bob") == 200
    resource = Resource.objects.order_by("pk").first()
    status, _ = browser.post(
        f"{a}/resources/{resource.public_id}/progress", {"done": "1"}, **{"HX-Request": "true"}
    )
    assert status == 200
    _, html = browser.get(f"{b}/roadmaps/deep-learning/")
    assert str(resource.public_id) in ticked(html)
    assert re.search(r'aria-label="Overall progress"', html) and 'aria-valuenow="20"' in html


def renders(base: str) -> float:
    """How often the process at `base` has rendered a roadmap's page (its /metrics)."""
    with urllib.request.urlopen(f"{base}/metrics", timeout=20) as response:
        metrics = response.read().decode()
    found = re.search(
        r'^roadmap_renderings_total{template="roadmap/roadmap.html"} (\S+)$', metrics, re.M
    )
    return float(found.group(1)) if found else 0.0


def test_an_edit_shows_at_once_to_every_viewer_through_every_process(servers):
    """Each process keeps the pages it rendered. An edit in one roadmap shows on the
    next request to a visitor, a learner and a curator, through either process, and
    leaves the other roadmap's kept pages in place: no process renders them again."""
    from tests.factories import ResourceFactory, RoadmapFactory, StaffFactory

    ResourceFactory(topic__part__roadmap=RoadmapFactory(slug="vision", order=2), title="Seeing")
    visitor, learner, curator = Browser(), Browser(), Browser()
    assert learner.sign_up(servers[0], "lena") == 200
    StaffFactory(username="stan", password=PASSWORD)
    curator.post(f"{servers[1]}/accounts/login/", {"login": "stan", "password": PASSWORD})
    assert "Admin" in curator.get(f"{servers[1]}/")[1]
    viewers = (visitor, learner, curator)
    pages = ("/roadmaps/deep-learning/", "/roadmaps/vision/")
    for base in servers:
        for viewer in viewers:
            for page in pages:
                assert viewer.get(f"{base}{page}")[0] == 200
    before = [renders(base) for base in servers]
    assert before[0] >= 6  # each page for each kind of viewer, by the first process
    edited = Resource.objects.filter(topic__part__roadmap__slug="deep-learning").first()
    edited.title = "Renamed a moment ago"
    edited.save()  # as admin's save writes it
    for base in servers:
        for viewer in viewers:
            assert "Seeing" in viewer.get(f"{base}/roadmaps/vision/")[1]
    assert [renders(base) for base in servers] == before
    for base in servers:
        for viewer in viewers:
            assert "Renamed a moment ago" in viewer.get(f"{base}/roadmaps/deep-learning/")[1]
    # Rendered once for the whole deployment: by the first process, for each kind of
    # viewer; the second fetched the three from the shared cache.
    assert [renders(base) for base in servers] == [before[0] + 3, before[1]]


def test_the_login_rate_limit_counts_attempts_across_both(servers):
    a, b = servers
    UserFactory(username="carol", password="correct horse battery staple")
    browser = Browser()
    for base in [a, b, a, b, a]:
        status, html = browser.post(
            f"{base}/accounts/login/", {"login": "carol", "password": "wrong"}
        )
        assert status == 200 and "Too many" not in html
    for base in [b, a]:
        status, html = browser.post(
            f"{base}/accounts/login/",
            {"login": "carol", "password": "correct horse battery staple"},
        )
        assert "Too many failed login attempts" in html
    assert browser.get(f"{b}/me/")[1].count("Log in") >= 1


def test_a_password_changed_through_one_process_stops_ticks_through_the_other(servers):
    """The process that last verified a session does not read it again for a tick; a
    password changed elsewhere must still stop that session's next tick at once."""
    from roadmap.models import Progress

    a, b = servers
    password = PASSWORD
    laptop, phone = Browser(), Browser()
    assert laptop.sign_up(a, "dora") == 200
    phone.get(f"{b}/accounts/login/")
    phone.post(f"{b}/accounts/login/", {"login": "dora", "password": password})
    first, second = Resource.objects.order_by("pk")[:2]
    htmx = {"HX-Request": "true"}
    assert phone.get(f"{b}/")[0] == 200  # process b has now verified the phone's session
    assert phone.post(f"{b}/resources/{first.public_id}/progress", {"done": "1"}, **htmx)[0] == 200
    assert Progress.objects.filter(work__resources=first).exists()

    status, _ = laptop.post(
        f"{a}/accounts/password/change/",
        {
            "oldpassword": password,
            "password1": "an-other-Passphrase-43",
            "password2": "an-other-Passphrase-43",
        },
    )
    assert status == 200
    phone.post(f"{b}/resources/{second.public_id}/progress", {"done": "1"}, **htmx)
    assert not Progress.objects.filter(work__resources=second).exists()
    assert "Log in" in phone.get(f"{b}/me/")[1]


def test_requests_and_ticks_go_on_when_the_server_drops_its_connections(servers):
    """Pooled connections the database server has dropped (a restart, a failover): a
    page gets a checked connection, and a tick, which skips that check, runs again on a
    fresh one. Neither fails, and the tick is written once."""
    from roadmap.models import Progress

    a, _ = servers
    browser = Browser()
    assert browser.sign_up(a, "erin") == 200
    first, second = Resource.objects.order_by("pk")[:2]
    htmx = {"HX-Request": "true"}
    assert (
        browser.post(f"{a}/resources/{first.public_id}/progress", {"done": "1"}, **htmx)[0] == 200
    )

    for dropped in ("tick", "page"):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND application_name = %s",
                [SERVER_APPLICATION],
            )
            assert cursor.fetchone()[0] >= 1, "the server's pooled connections were dropped"
        if dropped == "tick":
            status, html = browser.post(
                f"{a}/resources/{second.public_id}/progress", {"done": "1"}, **htmx
            )
            assert status == 200 and 'aria-valuenow="40"' in html  # 2 of 5 in the seed
        else:
            status, html = browser.get(f"{a}/me/")
            assert status == 200 and "Hello, erin." in html
    assert Progress.objects.filter(user__username="erin").count() == 2


def failed_login(browser: Browser, base: str, username: str, **headers) -> str:
    return browser.post(
        f"{base}/accounts/login/", {"login": username, "password": "wrong"}, **headers
    )[1]


@pytest.mark.nginx
def test_behind_the_proxy_failed_logins_from_one_address_do_not_lock_out_another(proxy):
    UserFactory(username="grace", password=PASSWORD)
    attacker = Browser("127.0.0.2")
    for attempt in range(10):
        assert "Too many" not in failed_login(attacker, proxy, f"made-up-{attempt}")
    assert "Too many failed login attempts" in failed_login(attacker, proxy, "made-up-10")

    learner = Browser("127.0.0.3")
    status, html = learner.post(
        f"{proxy}/accounts/login/", {"login": "grace", "password": PASSWORD}
    )
    assert status == 200 and "Too many" not in html
    assert "Hello, grace." in learner.get(f"{proxy}/me/")[1]


@pytest.mark.nginx
def test_behind_the_proxy_a_forged_x_forwarded_for_buys_no_fresh_allowance(proxy):
    attacker = Browser("127.0.0.2")
    for attempt in range(10):
        forged = {"X-Forwarded-For": f"203.0.113.{attempt}"}
        assert "Too many" not in failed_login(attacker, proxy, f"made-up-{attempt}", **forged)
    for forged in ("198.51.100.7", "127.0.0.9", "198.51.100.7, 127.0.0.9", "not an address"):
        html = failed_login(attacker, proxy, "made-up-x", **{"X-Forwarded-For": forged})
        assert "Too many failed login attempts" in html
    # Everyone else still gets in.
    assert "Too many" not in failed_login(Browser("127.0.0.3"), proxy, "someone")


@pytest.mark.nginx
def test_behind_the_proxy_sessions_and_ticks_work_and_pages_are_compressed(proxy):
    browser = Browser("127.0.0.4")
    assert browser.sign_up(proxy, "heidi") == 200
    resource = Resource.objects.order_by("pk").first()
    status, _ = browser.post(
        f"{proxy}/resources/{resource.public_id}/progress", {"done": "1"}, **{"HX-Request": "true"}
    )
    assert status == 200
    for _ in range(4):  # across both upstream servers
        status, html = browser.get(f"{proxy}/roadmaps/deep-learning/")
        assert status == 200 and str(resource.public_id) in ticked(html)
        assert "Hello, heidi." in browser.get(f"{proxy}/me/")[1]

    request = urllib.request.Request(
        f"{proxy}/roadmaps/deep-learning/",
        headers={"Host": PUBLIC_HOST, "Accept-Encoding": "gzip"},
    )
    with browser.opener.open(request, timeout=20) as response:
        assert response.headers["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in response.headers["Vary"]
        compressed = response.read()
    page = gzip.decompress(compressed).decode()
    assert "</html>" in page and len(compressed) * 3 < len(page)


@pytest.mark.nginx
def test_behind_the_proxy_the_app_sees_the_scheme_the_client_used(proxy):
    """nginx's own when it is the edge; with TLS ended at a load balancer in front of it,
    the balancer's X-Forwarded-Proto (else every page would be sent to HTTPS forever)."""
    _, plain = Browser().get(f"{proxy}/api/v1/roadmaps")
    _, secure = Browser().get(f"{proxy}/api/v1/roadmaps", **{"X-Forwarded-Proto": "https"})
    assert f'"http://{PUBLIC_HOST}/' in plain and "https://" not in plain
    assert f'"https://{PUBLIC_HOST}/' in secure and "http://" not in secure
    # Anything but http or https is not a scheme the balancer would send: nginx's own.
    _, odd = Browser().get(f"{proxy}/api/v1/roadmaps", **{"X-Forwarded-Proto": "gopher"})
    assert f'"http://{PUBLIC_HOST}/' in odd and "gopher" not in odd


@pytest.mark.nginx
def test_behind_the_proxy_on_another_port_links_and_forms_keep_the_port(proxy):
    """README's own recipe serves the stack at http://localhost:8080: the links the app
    writes (a share link, the API's) point there, and a form sent from there (its Origin
    with the port) is the site's own, not a cross-site request refused."""
    public = f"{PUBLIC_HOST}:8080"
    _, document = Browser().get(f"{proxy}/api/v1/roadmaps", Host=public)
    assert f'"http://{public}/' in document
    browser = Browser()
    browser.get(f"{proxy}/accounts/signup/", Host=public)
    data = {"username": "port", "email": "port@example.com", "password1": PASSWORD}
    status, _ = browser.post(f"{proxy}/accounts/signup/", data, Host=public,
                             Origin=f"http://{public}")  # fmt: skip
    assert status == 200 and "Log out" in browser.get(f"{proxy}/me/", Host=public)[1]


@pytest.mark.nginx
def test_the_proxy_names_no_version_and_passes_a_reading_list_sized_body(proxy):
    """nginx's own answers do not say which nginx it is; a body the size of an import
    (up to 1 MB, a little more with its form) reaches the app, which answers it."""

    def answer(path: str, body: bytes | None = None) -> tuple[int, str]:
        request = urllib.request.Request(f"{proxy}{path}", data=body, headers={"Host": PUBLIC_HOST})
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                return response.status, response.headers["Server"]
        except urllib.error.HTTPError as error:
            return error.code, error.headers["Server"]

    assert answer("/metrics") == (404, "nginx")  # nginx's own 404
    status, _ = answer("/accounts/login/", b"x=" + b"a" * 1_500_000)
    assert status == 403  # the app's (no CSRF token), not nginx's 413


@pytest.mark.nginx
def test_the_proxys_own_answers_carry_the_apps_security_headers_and_the_apps_keep_theirs(
    proxy, servers
):
    def headers(base: str, path: str, body: bytes | None = None):
        request = urllib.request.Request(f"{base}{path}", data=body, headers={"Host": PUBLIC_HOST})
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                return response.status, response.headers
        except urllib.error.HTTPError as error:
            return error.code, error.headers

    names = ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options")
    for path, body, status in [
        ("/metrics", None, 404),  # nginx's own
        ("/accounts/login/", b"x=" + b"a" * 2_200_000, 413),  # past client_max_body_size
    ]:
        answer, own = headers(proxy, path, body)
        assert answer == status and own["Server"] == "nginx", path
        assert "default-src 'none'" in own["Content-Security-Policy"], path
        assert (own["X-Content-Type-Options"], own["X-Frame-Options"]) == ("nosniff", "DENY")
        assert own["Referrer-Policy"] == "same-origin"
    _, direct = headers(servers[0], "/healthz")
    _, proxied = headers(proxy, "/healthz")
    for name in (*names, "Referrer-Policy"):  # once, as the app said it (in any order)

        def said(answer, name=name) -> list:
            return [sorted(value.split("; ")) for value in answer.get_all(name) or []]

        assert len(said(direct)) == 1 and said(proxied) == said(direct), name


@pytest.mark.nginx
def test_metrics_reach_the_scraper_directly_and_never_through_the_proxy(proxy, servers):
    for _ in range(3):
        assert Browser().get(f"{servers[0]}/healthz")[0] == 200
    status, text = Browser().get(f"{servers[0]}/metrics")
    assert status == 200 and "roadmap_content_version" in text
    # Summed over the server's workers (a folder they share, set by scripts/serve).
    assert re.search(
        r'^django_http_requests_latency_seconds_by_view_method_count\{.*view="healthz".*\} [1-9]',
        text,
        re.MULTILINE,
    )
    assert Browser("127.0.0.5").get(f"{proxy}/metrics")[0] == 404


def test_nginx_writes_no_path_of_a_request_it_could_not_pass_on(tmp_path):
    """Every replica restarting: the 502 is in the access log, and the error log names
    neither the share page asked for nor the share page it was asked from."""
    from scripts.localserver import free_port
    from tests.conftest import NGINX

    prefix = Path(tempfile.mkdtemp(prefix="nginx-"))
    prefix.chmod(0o755)
    port, nobody = free_port(), free_port()  # nothing listens on `nobody`
    (prefix / "site.conf").write_text(nginx_conf([f"http://127.0.0.1:{nobody}"], port))
    (prefix / "nginx.conf").write_text(
        f"daemon off; worker_processes 1; pid {prefix}/nginx.pid;"
        f" error_log {prefix}/error.log info; events {{ worker_connections 64; }}"
        f" http {{ client_body_temp_path {prefix}/b; proxy_temp_path {prefix}/p;"
        f" fastcgi_temp_path {prefix}/f; uwsgi_temp_path {prefix}/u;"
        f" scgi_temp_path {prefix}/s; include {prefix}/site.conf; }}"
    )
    command = [NGINX, "-e", f"{prefix}/error.log", "-p", str(prefix), "-c", f"{prefix}/nginx.conf"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    token, other = "T" * 32, "R" * 32
    try:
        for _ in range(100):
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/p/{token}/",
                headers={"Referer": f"https://roadmap.example.org/p/{other}/"},
            )
            try:
                urllib.request.urlopen(request, timeout=2)
            except urllib.error.HTTPError as error:
                assert error.code == 502
                break
            except OSError:  # not listening yet
                time.sleep(0.05)
        else:
            raise AssertionError("nginx never answered")
    finally:
        process.terminate()
        out, err = process.communicate(timeout=30)
        written = out.decode() + err.decode() + (prefix / "error.log").read_text()
        shutil.rmtree(prefix, ignore_errors=True)
    assert '"status":502' in written  # the access log's line
    assert token not in written and other not in written
