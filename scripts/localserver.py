"""Starting the production server (scripts/serve) on a free local port, for the chaos
script, the benchmark and the scale-out test."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(
    env: dict, *, workers: int, threads: int | None = None
) -> tuple[subprocess.Popen, str]:
    """scripts/serve on 127.0.0.1 and a free port (with its own default of threads unless
    `threads` is given); returns once /healthz answers."""
    return wait_for(*launch_server(env, workers=workers, threads=threads))


def launch_server(
    env: dict, *, workers: int, threads: int | None = None
) -> tuple[subprocess.Popen, str]:
    """`start_server` without the wait: several start at once (`wait_for` each)."""
    port = free_port()
    settings = {
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": str(workers),
        "PATH": f"{Path(sys.executable).parent}:{env['PATH']}",
    }
    if threads is not None:
        settings["WEB_THREADS"] = str(threads)
    server = subprocess.Popen(
        [str(REPO / "scripts" / "serve")],
        cwd=REPO,
        env=env | settings,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return server, f"http://127.0.0.1:{port}"


def wait_for(server: subprocess.Popen, base: str) -> tuple[subprocess.Popen, str]:
    """The server launched at `base`, once its /healthz answers."""
    for _ in range(300):
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=2).read()
            return server, base
        except OSError:
            time.sleep(0.1)
    server.terminate()
    raise RuntimeError(f"the server on {base} did not answer /healthz")
