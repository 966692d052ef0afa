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


# MARK: Slow clients against a small connection cap (issue #10, "Slow-client tests over HTTP")
#
# The bounds below are generous on purpose (BOUND = 10 × the 1 s timeouts): they tell "closed
# by the timeout" from "never closed", not how fast.

BOUND = 10.0


@pytest.fixture(scope="module")
def slow_server(server_factory):
    """1 s header, body and keep-alive timeouts and at most 8 connections."""
    return server_factory.start(server_factory.data_dir("slow"), extra_args=[
        "--header-timeout", "1", "--body-timeout", "1", "--idle-timeout", "1", "--max-connections", "8"])


def _closed_within(sock: socket.socket, bound: float) -> tuple:
    """Reads until the server closes `sock`; returns (bytes received, seconds it took). Fails
    when it is still open after `bound` seconds."""
    start = time.monotonic()
    sock.settimeout(bound)
    received = _read_until_closed(sock)
    elapsed = time.monotonic() - start
    assert elapsed < bound, f"closed only after {elapsed:.1f} s"
    return received, elapsed


def _trickle_head(port: int, interval: float = 0.3) -> tuple:
    """Sends a request head one byte every `interval` s (each gap well under the header
    timeout, never finishing) until the server closes; returns (bytes received, seconds)."""
    head = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-Trickle: " + b"a" * 10_000
    start = time.monotonic()
    received = b""
    with _connect(port) as sock:
        sock.settimeout(interval)
        for byte in head:
            if time.monotonic() - start > BOUND:
                pytest.fail(f"a trickled head kept the connection open for {BOUND:.0f} s")
            try:
                sock.sendall(bytes([byte]))
                chunk = sock.recv(65536)
            except socket.timeout:
                continue
            except (BrokenPipeError, ConnectionResetError):
                break
            if not chunk:
                break
            received += chunk
    return received, time.monotonic() - start


@pytest.mark.parametrize("front", ["file", "s3"])
def test_trickled_request_head_is_closed_by_the_header_timeout(slow_server, front):
    """The header timeout runs from the connection's start: a byte now and then does not reset it."""
    received, elapsed = _trickle_head(slow_server.port if front == "file" else slow_server.s3_port)
    assert received == b"", received[:300]
    assert elapsed < BOUND


def _stall(port: int, head: str, sent: bytes) -> bytes:
    """Sends `head` and the first bytes of its body, then nothing; returns what the server
    sent before closing (within BOUND)."""
    with _connect(port) as sock:
        sock.sendall(head.encode() + sent)
        received, _ = _closed_within(sock, BOUND)
    return received


def test_stalled_s3_upload_is_closed_and_writes_nothing(slow_server):
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    from compat_helpers import ACCOUNT, ACCOUNT_KEY
    from s3_helpers import _SignedPayloadAuth

    s3 = make_s3_client(slow_server.s3_endpoint, config=Config(retries={"max_attempts": 1}))
    s3.create_bucket(Bucket="stalled-upload")
    request = AWSRequest(method="PUT", url=f"{slow_server.s3_endpoint}/stalled-upload/obj", headers={"Content-Length": "100000"})
    _SignedPayloadAuth(Credentials(ACCOUNT, ACCOUNT_KEY), "UNSIGNED-PAYLOAD").add_auth(request)
    fields = "".join(f"{name}: {value}\r\n" for name, value in request.prepare().headers.items())
    head = f"PUT /stalled-upload/obj HTTP/1.1\r\nHost: 127.0.0.1:{slow_server.s3_port}\r\n{fields}\r\n"
    # Signed and accepted: the body is being read when it stalls; the connection is closed
    # without an answer (the client is gone as far as the server can tell).
    assert _stall(slow_server.s3_port, head, b"x" * 1000) == b""
    with pytest.raises(__import__("botocore.exceptions").exceptions.ClientError) as missing:
        s3.head_object(Bucket="stalled-upload", Key="obj")
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert "incomplete request body" in slow_server.log()


def test_stalled_filerest_range_is_closed_and_writes_nothing(slow_server):
    import datetime as dt

    from azure.storage.fileshare import FileSasPermissions, ShareServiceClient, generate_file_sas

    from compat_helpers import ACCOUNT, ACCOUNT_KEY

    service = ShareServiceClient.from_connection_string(slow_server.connection_string)
    share = service.create_share("stalled-range")
    file = share.get_file_client("f.bin")
    file.upload_file(b"\x00" * 4096)
    sas = generate_file_sas(ACCOUNT, "stalled-range", ["f.bin"], ACCOUNT_KEY, permission=FileSasPermissions(write=True),
                            expiry=dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1))
    head = (f"PUT /{ACCOUNT}/stalled-range/f.bin?comp=range&{sas} HTTP/1.1\r\nHost: 127.0.0.1:{slow_server.port}\r\n"
            "x-ms-version: 2025-11-05\r\nx-ms-range: bytes=0-4095\r\nx-ms-write: update\r\nContent-Length: 4096\r\n\r\n")
    assert _stall(slow_server.port, head, b"\xff" * 1000) == b""
    assert file.download_file().readall() == b"\x00" * 4096


def test_a_normal_client_is_served_while_slow_clients_hold_connections(slow_server):
    """Five connections that trickle their heads (of the 8 allowed) do not keep boto3 and the
    Azure SDK from being served meanwhile; once the timeouts have closed them, all 8 are free."""
    import threading

    from azure.storage.fileshare import ShareServiceClient

    results = []
    tricklers = [threading.Thread(target=lambda: results.append(_trickle_head(slow_server.s3_port, 0.2)))
                 for _ in range(5)]
    for thread in tricklers:
        thread.start()
    try:
        time.sleep(0.2)
        s3 = make_s3_client(slow_server.s3_endpoint, config=Config(retries={"max_attempts": 1}))
        s3.create_bucket(Bucket="served-meanwhile")
        s3.put_object(Bucket="served-meanwhile", Key="k", Body=b"still served")
        assert s3.get_object(Bucket="served-meanwhile", Key="k")["Body"].read() == b"still served"
        service = ShareServiceClient.from_connection_string(slow_server.connection_string, retry_total=0)
        assert "served-meanwhile" in [s.name for s in service.list_shares()]
    finally:
        for thread in tricklers:
            thread.join(BOUND + 5)
    assert len(results) == 5 and all(received == b"" and elapsed < BOUND for received, elapsed in results), results
    # Every slot is free again: 8 keep-alive connections at once are all served (answered,
    # here 403 as they are unsigned, not refused with 503). The SDKs' own keep-alive
    # connections close within the idle timeout: until then a 503 means "not yet".
    deadline = time.monotonic() + BOUND
    while True:
        held = []
        try:
            answers = []
            for _ in range(8):
                held.append(_connect(slow_server.port))
                answers.append(_exchange(held[-1]))
        finally:
            for sock in held:
                sock.close()
        if all(answer.startswith(b"HTTP/1.1 403") for answer in answers):
            break
        assert time.monotonic() < deadline, [answer[:40] for answer in answers]
        time.sleep(0.2)


@pytest.mark.parametrize("front", ["file", "s3"])
def test_idle_connection_after_a_response_gets_nothing_more_and_is_closed(slow_server, front):
    port = slow_server.port if front == "file" else slow_server.s3_port
    # The connections an earlier test closed count against the cap until the server has seen
    # them close: until then a 503 ServerBusy means "not yet".
    deadline = time.monotonic() + BOUND
    while True:
        with _connect(port) as sock:
            sock.sendall(b"GET /devstoreaccount1/?comp=list HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" if front == "file"
                         else b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            received, _ = _closed_within(sock, BOUND)
        if not received.startswith(b"HTTP/1.1 503") or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    # One complete answer (a 403 here: the request is not signed) and nothing after it.
    assert received.startswith(b"HTTP/1.1 403"), received[:300]
    head, _, body = received.partition(b"\r\n\r\n")
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")))
    assert len(body) == length
