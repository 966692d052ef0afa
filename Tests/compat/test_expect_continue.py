"""`Expect: 100-continue` (issue #9): the interim `100 Continue` comes only once the request is
authenticated and the front reads the body; a refused request gets its final 4xx at once,
without the client being invited to send the body. Driven over a raw socket, as a client that
waits for `100 Continue` (curl, botocore, the .NET SDK) sees it."""

import socket

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from compat_helpers import ACCOUNT, ACCOUNT_KEY
from s3_helpers import REGION

BODY = b"x" * 100_000
# Only so that a server that never answers fails the test instead of hanging it.
SOCKET_TIMEOUT = 30


def _open(port):
    sock = socket.create_connection(("127.0.0.1", port), timeout=SOCKET_TIMEOUT)
    return sock, sock.makefile("rb")


def _send_head(sock, method, path, headers):
    lines = [f"{method} {path} HTTP/1.1"] + [f"{name}: {value}" for name, value in headers.items()]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())


def _read_response_head(reader):
    """The status code and headers (lower-cased names) of the next response head."""
    status_line = reader.readline().decode()
    assert status_line.startswith("HTTP/1.1 "), status_line
    headers = {}
    while True:
        line = reader.readline().decode().rstrip("\r\n")
        if not line:
            break
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers


def test_s3_unsigned_put_is_refused_without_100_continue(server, bucket):
    sock, reader = _open(server.s3_port)
    try:
        _send_head(sock, "PUT", f"/{bucket}/unsigned", {
            "Host": f"127.0.0.1:{server.s3_port}", "Content-Length": str(len(BODY)), "Expect": "100-continue"})
        status, headers = _read_response_head(reader)
        assert status == 403
        assert headers.get("connection") == "close"
        # The body was never invited: the connection ends after the answer, so that bytes the
        # client may still send are not read as a next request.
        reader.read(int(headers["content-length"]))
        assert reader.read(1) == b"", "the connection stayed open after Connection: close"
    finally:
        sock.close()


def test_s3_signed_put_gets_100_continue_then_stores_the_body(server, s3_client, bucket):
    host = f"127.0.0.1:{server.s3_port}"
    request = AWSRequest(method="PUT", url=f"http://{host}/{bucket}/continued", data=BODY,
                         headers={"Content-Length": str(len(BODY)), "Expect": "100-continue"})
    S3SigV4Auth(Credentials(ACCOUNT, ACCOUNT_KEY), "s3", REGION).add_auth(request)
    headers = dict(request.headers.items())
    headers["Host"] = host
    sock, reader = _open(server.s3_port)
    try:
        _send_head(sock, "PUT", f"/{bucket}/continued", headers)
        status, _ = _read_response_head(reader)
        assert status == 100
        sock.sendall(BODY)
        status, _ = _read_response_head(reader)
        assert status == 200
    finally:
        sock.close()
    assert s3_client.get_object(Bucket=bucket, Key="continued")["Body"].read() == BODY


def test_filerest_unsigned_put_range_is_refused_without_100_continue(server, share):
    file = share.get_file_client("target.bin")
    file.create_file(len(BODY))
    sock, reader = _open(server.port)
    try:
        _send_head(sock, "PUT", f"/{ACCOUNT}/{share.share_name}/target.bin?comp=range", {
            "Host": f"127.0.0.1:{server.port}", "Content-Length": str(len(BODY)), "Expect": "100-continue",
            "x-ms-range": f"bytes=0-{len(BODY) - 1}", "x-ms-write": "update", "x-ms-version": "2025-05-05"})
        status, headers = _read_response_head(reader)
        assert status in (401, 403)
        assert headers.get("connection") == "close"
        reader.read(int(headers["content-length"]))
        assert reader.read(1) == b"", "the connection stayed open after Connection: close"
    finally:
        sock.close()
    assert file.download_file().readall() == bytes(len(BODY))
