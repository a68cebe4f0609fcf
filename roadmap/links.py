"""Checking that resources' links still answer."""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass

USER_AGENT = "DeepLearningRoadmap-LinkChecker/1.0 (+https://github.com/)"


@dataclass(frozen=True)
class LinkResult:
    status: int | None
    error: str = ""

    @property
    def broken(self) -> bool:
        return bool(self.error) or self.status is None or self.status >= 400


def check_url(url: str, *, timeout: float) -> LinkResult:
    """HEAD the URL, falling back to GET when the server refuses HEAD; redirects followed."""
    # Resource URLs are http(s) only: the model's validator and the importer refuse others.
    for method in ("HEAD", "GET"):
        headers = {"User-Agent": USER_AGENT}
        request = urllib.request.Request(url, method=method, headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                return LinkResult(response.status)
        except urllib.error.HTTPError as error:
            if method == "GET":
                return LinkResult(error.code)
        except TimeoutError:
            return LinkResult(None, f"timed out after {timeout:g} s")
        except urllib.error.URLError as error:
            reason = error.reason
            if isinstance(reason, TimeoutError | socket.timeout):
                return LinkResult(None, f"timed out after {timeout:g} s")
            return LinkResult(None, str(reason)[:300])
        except (OSError, ValueError) as error:
            return LinkResult(None, str(error)[:300] or type(error).__name__)
    raise AssertionError("unreachable")


def check_urls(
    urls: list[str], *, concurrency: int, timeout: float, total_timeout: float
) -> dict[str, LinkResult]:
    """Check many URLs at most `concurrency` at a time; those not done within
    `total_timeout` seconds are left out of the answer."""
    results: dict[str, LinkResult] = {}
    deadline = time.monotonic() + total_timeout
    executor = ThreadPoolExecutor(max_workers=max(1, concurrency))
    try:
        pending = {executor.submit(check_url, url, timeout=timeout): url for url in urls}
        while pending and (remaining := deadline - time.monotonic()) > 0:
            done, _ = wait(pending, timeout=remaining, return_when=FIRST_COMPLETED)
            for future in done:
                results[pending.pop(future)] = future.result()
    finally:
        executor.shutdown(wait=False, cancel_futures=True)
    return results
