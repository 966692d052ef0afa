"""Shared helpers of the FileREST compatibility suite (imported by conftest and the tests)."""

import hashlib
import threading
import time
import uuid
from contextlib import contextmanager
from urllib.parse import urlparse

import pytest
from azure.core.pipeline.transport import RequestsTransport
from requests import Session
from requests.adapters import HTTPAdapter

ACCOUNT = "devstoreaccount1"
ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
KiB = 1024
MiB = 1024 * KiB


def connection_string(endpoint: str, key: str = ACCOUNT_KEY) -> str:
    """A development connection string whose FileEndpoint is `endpoint`."""
    return f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={key};FileEndpoint={endpoint};"


def unique_name(prefix: str) -> str:
    """A share, directory or file name no other test uses (valid as a share name)."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def pattern(size: int, seed: int = 1) -> bytes:
    """`size` reproducible, non-repeating-looking bytes (no two 32-byte blocks are equal)."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        counter += 1
    return bytes(out[:size])


def merged(ranges):
    """Ranges as (start, end) tuples with adjacent and overlapping ones merged."""
    result = []
    for r in sorted((r["start"], r["end"]) for r in ranges):
        if result and r[0] <= result[-1][1] + 1:
            result[-1] = (result[-1][0], max(result[-1][1], r[1]))
        else:
            result.append(r)
    return result


@contextmanager
def azure_error(exc_type, code: str, status: int):
    """Expects exactly `exc_type` (not a subclass) with `error_code` == `code`, HTTP `status`, and
    the same code in the `x-ms-error-code` response header."""
    with pytest.raises(exc_type) as info:
        yield info
    error = info.value
    assert type(error) is exc_type, f"expected {exc_type.__name__}, got {type(error).__name__}: {error}"
    assert error.error_code == code, f"expected error code {code}, got {error.error_code}: {error}"
    assert error.status_code == status, f"expected status {status}, got {error.status_code}: {error}"
    assert error.response.headers.get("x-ms-error-code") == code


class HostStyleAdapter(HTTPAdapter):
    """Sends every request to 127.0.0.1:`port` while keeping the URL's host in the Host header,
    so that `http://<account>.file.core.windows.net:<port>/share/...` reaches the local server
    exactly as it would reach Azure (no DNS or hosts-file changes)."""

    def __init__(self, port: int):
        self._port = port
        super().__init__()

    def get_connection_with_tls_context(self, request, verify, proxies=None, cert=None):
        return self.poolmanager.connection_from_host("127.0.0.1", self._port, scheme="http")

    def get_connection(self, url, proxies=None):  # requests < 2.32
        return self.poolmanager.connection_from_host("127.0.0.1", self._port, scheme="http")

    def send(self, request, **kwargs):
        request.headers["Host"] = urlparse(request.url).netloc
        return super().send(request, **kwargs)


def host_style_transport(port: int) -> RequestsTransport:
    """An azure-core transport that routes host-style URLs to the local server on `port`."""
    session = Session()
    session.trust_env = False
    session.mount("http://", HostStyleAdapter(port))
    return RequestsTransport(session=session, session_owner=True)


def host_style_url(port: int) -> str:
    """The account URL in host style, as the SDK builds it for the real service."""
    return f"http://{ACCOUNT}.file.core.windows.net:{port}"


def rss_mib(pid: int, field: str) -> int:
    """A process's resident memory of one kind (`RssAnon`, `RssFile`), in MiB, from /proc (Linux)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) // 1024
    raise AssertionError(f"no {field} line")


@contextmanager
def peak_rss(pid: int, field: str):
    """Samples `rss_mib(pid, field)` every 20 ms while the block runs. Yields a dict whose
    `before` is the figure at the start and `peak` the highest seen (final after the block)."""
    figures = {"before": rss_mib(pid, field)}
    figures["peak"] = figures["before"]
    done = threading.Event()

    def sample():
        while not done.is_set():
            figures["peak"] = max(figures["peak"], rss_mib(pid, field))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        yield figures
    finally:
        done.set()
        sampler.join()


def wait_until(predicate, what: str, timeout: float = 30.0) -> None:
    """Polls `predicate` every 250 ms until it holds; fails naming `what` when it never does
    within `timeout` seconds (for work a server does in the background)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    raise AssertionError(f"{what} not reached within {timeout} s")
