"""Connection timeouts and the connection cap (issue #10, item 3: stalled and idle connections
were never closed, and 300 of them exhausted the server's descriptors).

Each test starts its own server with short timeouts and waits on a socket for much longer than
those, so the outcome does not depend on timing: either the server closes the connection or
the wait ends without it having done so."""

import socket
import time

import pytest
import requests
from botocore.config import Config

from s3_helpers import make_s3_client

WAIT = 30.0  # far longer than the 1 s timeouts the server runs with here


@pytest.fixture(scope="module")
def strict_server(server_factory):
    """A server with 1 s header, body and keep-alive timeouts."""
    data_dir = server_factory.data_dir("strict")
    return server_factory.start(data_dir, extra_args=["--header-timeout", "1", "--body-timeout", "1", "--idle-timeout", "1"])


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
    sock.settimeout(WAIT)
    return sock


def _read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (a timeout fails the test)."""
    received = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return received
        except socket.timeout:
            pytest.fail(f"the server kept the connection open for {WAIT:.0f} s; received {received[:200]!r}")
        if not chunk:
            return received
        received += chunk


@pytest.mark.parametrize("front", ["file", "s3"])
def test_connection_that_sends_nothing_is_closed(strict_server, front):
    port = strict_server.port if front == "file" else strict_server.s3_port
    with _connect(port) as sock:
        assert _read_until_closed(sock) == b""


@pytest.mark.parametrize("front", ["file", "s3"])
def test_half_sent_request_head_is_closed(strict_server, front):
    port = strict_server.port if front == "file" else strict_server.s3_port
    with _connect(port) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        assert _read_until_closed(sock) == b""


def test_stalled_request_body_is_closed_and_nothing_is_written(strict_server):
    with _connect(strict_server.s3_port) as sock:
        sock.sendall(b"PUT /stalled-bucket HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\nonly a part")
        _read_until_closed(sock)
    assert strict_server.process.poll() is None


def test_idle_keep_alive_connection_is_closed_after_a_response(strict_server):
    with _connect(strict_server.port) as sock:
        sock.sendall(b"GET /devstoreaccount1/?comp=list HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        received = _read_until_closed(sock)
    assert received.startswith(b"HTTP/1.1 "), received[:200]


@pytest.fixture(scope="module")
def capped_server(server_factory):
    """A server with the default timeouts that accepts at most 3 connections."""
    return server_factory.start(server_factory.data_dir("capped"), extra_args=["--max-connections", "3"])


def _exchange(sock: socket.socket) -> bytes:
    """Sends one keep-alive request and reads its (bodyless-or-short) answer's head."""
    sock.sendall(b"GET /devstoreaccount1/?comp=list HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = sock.recv(65536)
        assert chunk, "the server closed a connection under the cap"
        received += chunk
    return received


def test_connections_beyond_the_cap_are_refused_with_503(capped_server):
    held = []
    try:
        # Hold three served connections. The server may still count connections that just
        # closed (the start-up probes): a 503 then means "not yet", so that one is retried.
        for _ in range(100):
            if len(held) == 3:
                break
            sock = _connect(capped_server.port)
            if _exchange(sock).startswith(b"HTTP/1.1 503"):
                sock.close()
                time.sleep(0.1)
            else:
                held.append(sock)
        assert len(held) == 3, "three connections were never served"
        with _connect(capped_server.s3_port) as extra:
            extra.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            answer = _read_until_closed(extra)
        assert answer.startswith(b"HTTP/1.1 503"), answer[:300]
        assert b"<Code>SlowDown</Code>" in answer
        assert b"connection: close" in answer.lower()
    finally:
        for sock in held:
            sock.close()
    # Once the held connections are gone the server serves again.
    for _ in range(100):
        response = requests.get(f"http://127.0.0.1:{capped_server.port}/devstoreaccount1/?comp=list")
        if response.status_code != 503:
            break
        time.sleep(0.1)
    assert response.status_code != 503


def test_client_that_stops_reading_a_download_is_disconnected(strict_server):
    """A download to a client that never reads would hold the connection (and the server's
    buffers) forever: after the body timeout without taking bytes, the server closes it."""
    size = 48 * 1024 * 1024
    s3 = make_s3_client(strict_server.s3_endpoint, config=Config(signature_version="s3v4"))
    s3.create_bucket(Bucket="slow-reader")
    s3.put_object(Bucket="slow-reader", Key="big", Body=b"\x5a" * size)
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "slow-reader", "Key": "big"}, ExpiresIn=600)
    target = url.split(str(strict_server.s3_port), 1)[1]
    with _connect(strict_server.s3_port) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{strict_server.s3_port}\r\n\r\n".encode())
        time.sleep(8)  # far longer than the 1 s body timeout; the socket buffers hold a few MiB only
        received = _read_until_closed(sock)
    assert received.startswith(b"HTTP/1.1 200"), received[:1000]
    assert len(received) < size, f"the whole body ({len(received)} bytes) was sent to a client that was not reading"
