"""Checking that resources' links still answer, without reaching into our own network.

The checker runs inside the deployment, so a resource URL (or a redirect from one) that
names an internal address would let whoever edits resources probe it. Every connection
is made only to addresses that resolve as public, checked as the connection is made (so a
name cannot resolve one way for the check and another for the connection), on every
redirect hop, and only over http and https. Every refused address gets the same answer,
so nothing about what listens there can be read back.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

from django.utils.encoding import iri_to_uri

USER_AGENT = "DeepLearningRoadmap-LinkChecker/1.0 (+https://github.com/)"
SCHEMES = {"http", "https"}
NOT_PUBLIC = "not checked: the address is not on the public internet"
NOT_HTTP = "not checked: it leads to a URL that is not http or https"


@dataclass(frozen=True)
class LinkResult:
    status: int | None
    error: str = ""

    @property
    def broken(self) -> bool:
        return bool(self.error) or self.status is None or self.status >= 400


class Refused(OSError):
    """A link the checker will not follow: a non-public address, or a scheme not http(s)."""


# IPv6 prefixes that carry an IPv4 address inside (NAT64, the well-known and the local
# one): such an address reaches what its IPv4 address names, through a gateway.
NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for, if it stands for one: mapped
    (::ffff:a.b.c.d), compatible or translated (::a.b.c.d, ::ffff:0:a.b.c.d), NAT64,
    6to4 or Teredo."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    low = int(ip) & 0xFFFFFFFF
    high = int(ip) >> 32
    if high in (0, 0xFFFF0000) or any(ip in net for net in NAT64):
        return ipaddress.IPv4Address(low)
    return None


def is_public(address: str) -> bool:
    """Whether an IP address is on the public internet: not loopback, private, shared,
    link-local (the cloud metadata address, 169.254.169.254, is one), multicast,
    reserved or unspecified; an IPv6 address that carries an IPv4 address must be public
    as that too."""
    ip = ipaddress.ip_address(address.partition("%")[0])
    addresses = [ip]
    if isinstance(ip, ipaddress.IPv6Address) and (inner := embedded_ipv4(ip)) is not None:
        addresses.append(inner)
    return all(a.is_global and not a.is_multicast for a in addresses)


def connect_public(host: str, port: int, timeout: float) -> socket.socket:
    """A connection to `host`, made only if every address it resolves to is public."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise OSError(f"cannot resolve {host}: {error.strerror}") from error
    if not found or not all(is_public(sockaddr[0]) for *_, sockaddr in found):
        raise Refused(NOT_PUBLIC)
    last_error: OSError | None = None
    for family, kind, proto, _name, sockaddr in found:
        sock = socket.socket(family, kind, proto)
        sock.settimeout(timeout)
        watched = getattr(_checking, "sockets", None)
        if watched is not None:
            watched.append(sock)
        try:
            sock.connect(sockaddr)  # the address just checked, not the name again
            return sock
        except OSError as error:
            sock.close()
            last_error = error
    raise last_error or OSError(f"cannot connect to {host}")


class PublicHTTPConnection(http.client.HTTPConnection):
    def connect(self) -> None:
        self.sock = connect_public(self.host, self.port, self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


# HTTPSConnection.connect connects through the class after it (ours), then wraps TLS.
class PublicHTTPSConnection(http.client.HTTPSConnection, PublicHTTPConnection):
    pass


class PublicHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(PublicHTTPConnection, req)


class PublicHTTPSHandler(urllib.request.HTTPSHandler):
    context = ssl.create_default_context()

    def https_open(self, req):
        return self.do_open(PublicHTTPSConnection, req, context=self.context)


class HttpRedirectsOnly(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to an http(s) URL (urllib would follow one to ftp)."""

    def http_error_302(self, req, fp, code, msg, headers):
        location = headers.get("location") or headers.get("uri") or ""
        if urlsplit(urljoin(req.full_url, location)).scheme.lower() not in SCHEMES:
            raise Refused(NOT_HTTP)
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


def opener() -> urllib.request.OpenerDirector:
    """http and https to public addresses, redirects followed, nothing else (no proxy,
    no ftp, no files)."""
    director = urllib.request.OpenerDirector()
    for handler in (
        PublicHTTPHandler(),
        PublicHTTPSHandler(),
        HttpRedirectsOnly(),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
        urllib.request.UnknownHandler(),
    ):
        director.add_handler(handler)
    return director


def as_sent(url: str) -> str:
    """`url` as it goes on the wire: its host in IDNA (пример.example as
    xn--e1afmkfd.example), the rest as Django's `iri_to_uri` encodes an IRI (a path in
    Künstliche_Intelligenz percent-encoded; what is encoded already stays as it is)."""
    parts = urlsplit(url)
    userinfo, at, hostport = parts.netloc.rpartition("@")
    # The host as written (`hostname` is lower-cased, and would not be found in it).
    host = hostport[1:].partition("]")[0] if hostport.startswith("[") else hostport.split(":")[0]
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return url  # no host IDNA can spell: the request says so
    netloc = userinfo + at + hostport.replace(host, ascii_host, 1) if host else parts.netloc
    return iri_to_uri(urlunsplit(parts._replace(netloc=netloc, fragment="")))


# The sockets the check running in this thread has opened (connect_public), for its
# watchdog to close.
_checking = threading.local()
# How long one link's check may take in all, in its `timeout`s: `timeout` bounds each wait
# for a byte, and a server sending one byte at a time would otherwise never be done.
SPAN = 3


def check_url(url: str, *, timeout: float) -> LinkResult:
    """HEAD the URL, falling back to GET when the server refuses HEAD; redirects followed;
    all within SPAN times `timeout` (a watchdog closes its connections then). Whatever a
    server answers, or however it fails, is the link's result: one bad server never
    stops a run over every link, nor keeps a thread."""
    _checking.sockets = sockets = []
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        for sock in list(sockets):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    watchdog = threading.Timer(SPAN * timeout, expire)
    watchdog.daemon = True
    watchdog.start()
    try:
        result = _check_url(url, timeout=timeout)
    finally:
        watchdog.cancel()
        _checking.sockets = None
    if expired.is_set() and result.status is None:
        return LinkResult(None, f"timed out after {SPAN * timeout:g} s in all")
    return result


def _check_url(url: str, *, timeout: float) -> LinkResult:
    if urlsplit(url).scheme.lower() not in SCHEMES:
        return LinkResult(None, NOT_HTTP)
    for method in ("HEAD", "GET"):
        headers = {"User-Agent": USER_AGENT}
        request = urllib.request.Request(as_sent(url), method=method, headers=headers)  # noqa: S310
        try:
            with opener().open(request, timeout=timeout) as response:
                return LinkResult(response.status)
        except urllib.error.HTTPError as error:
            if method == "GET":
                return LinkResult(error.code)
        except Refused as error:
            return LinkResult(None, str(error))
        except TimeoutError:
            return LinkResult(None, f"timed out after {timeout:g} s")
        except urllib.error.URLError as error:
            reason = error.reason
            if isinstance(reason, Refused):
                return LinkResult(None, str(reason))
            if isinstance(reason, TimeoutError | socket.timeout):
                return LinkResult(None, f"timed out after {timeout:g} s")
            return LinkResult(None, str(reason)[:300])
        except (OSError, ValueError, http.client.HTTPException) as error:
            # (An answer that is not HTTP, or too many headers: http.client's own errors.)
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
