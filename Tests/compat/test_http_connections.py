"""What `sharecore serve`'s own connection handler (Sources/sharecore/FrontChannel.swift, issue
#14) must keep doing for HTTP/1.1 clients: pipelined requests answered in order (more of them
than the handler reads ahead), the requests read before a client's half-close answered before
the connection closes, an unread request body skipped so that the next request on the
connection is served, and a body stored whole however its pieces arrive: apart from its head,
or together with the next requests. Its codec (Sources/sharecore/FrontHTTPCodec.swift) writes
the responses itself: a request that does not keep the connection alive is answered with
`Connection: close` and the connection then closes (RFC 9112 9.6), the answer to HEAD has its
length and no body, and a request that cannot be parsed gets 400 and the connection closes."""

import socket
import threading
import time
import uuid

from botocore.config import Config

from s3_helpers import make_s3_client

WAIT = 30.0


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
    sock.settimeout(WAIT)
    return sock


class _Responses:
    """Reads HTTP/1.1 responses with a Content-Length, one after the other, from a socket."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buffer = b""

    def _fill(self) -> bool:
        chunk = self.sock.recv(65536)
        self.buffer += chunk
        return bool(chunk)

    def next(self):
        """(status, headers, body), or None when the server closed the connection first."""
        while b"\r\n\r\n" not in self.buffer:
            if not self._fill():
                return None
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(self.buffer) < length:
            assert self._fill(), "the connection closed inside a response body"
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, headers, body

    def closed(self) -> bool:
        """Whether the server closes the connection with nothing more sent."""
        return self.buffer == b"" and not self._fill()


def _bucket_with_objects(server, count: int):
    s3 = make_s3_client(server.s3_endpoint, config=Config(signature_version="s3v4"))
    bucket = "conn-" + uuid.uuid4().hex[:12]
    s3.create_bucket(Bucket=bucket)
    bodies = [f"object {i} ".encode() * (i + 1) for i in range(count)]
    for i, body in enumerate(bodies):
        s3.put_object(Bucket=bucket, Key=f"k{i}", Body=body)
    urls = [s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": f"k{i}"}, ExpiresIn=600)
            for i in range(count)]
    targets = [url.split(str(server.s3_port), 1)[1] for url in urls]
    return s3, bucket, bodies, targets


def _get(target: str, port: int) -> bytes:
    return f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()


def test_pipelined_requests_are_answered_in_order(server):
    # 40 requests in one write: more than the 16 the server reads ahead of its answers.
    _, _, bodies, targets = _bucket_with_objects(server, 40)
    with _connect(server.s3_port) as sock:
        sock.sendall(b"".join(_get(t, server.s3_port) for t in targets))
        responses = _Responses(sock)
        for i, expected in enumerate(bodies):
            answer = responses.next()
            assert answer is not None, f"the connection closed before response {i}"
            status, _, body = answer
            assert (status, body) == (200, expected), f"response {i}"


def test_requests_read_before_a_half_close_are_answered_then_the_connection_closes(server):
    _, _, bodies, targets = _bucket_with_objects(server, 3)
    with _connect(server.s3_port) as sock:
        sock.sendall(b"".join(_get(t, server.s3_port) for t in targets))
        sock.shutdown(socket.SHUT_WR)
        responses = _Responses(sock)
        for i, expected in enumerate(bodies):
            answer = responses.next()
            assert answer is not None, f"the connection closed before response {i}"
            assert (answer[0], answer[2]) == (200, expected)
        assert responses.closed(), "the server kept the half-closed connection open"


def test_a_request_body_the_server_does_not_read_is_skipped_for_the_next_request(server):
    s3, bucket, bodies, targets = _bucket_with_objects(server, 1)
    # A PUT refused before its body is read (its signature is wrong), with a 1 MiB body, then
    # a GET on the same connection: the GET is answered, and nothing was written.
    url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "refused"}, ExpiresIn=600)
    target = url.split(str(server.s3_port), 1)[1].replace("X-Amz-Signature=", "X-Amz-Signature=0")
    body = b"\x77" * (1024 * 1024)
    with _connect(server.s3_port) as sock:
        sock.sendall(f"PUT {target} HTTP/1.1\r\nHost: 127.0.0.1:{server.s3_port}\r\n"
                     f"Content-Length: {len(body)}\r\n\r\n".encode() + body + _get(targets[0], server.s3_port))
        responses = _Responses(sock)
        refused = responses.next()
        assert refused is not None and refused[0] == 403, refused
        assert b"SignatureDoesNotMatch" in refused[2]
        served = responses.next()
        assert served is not None, "the connection closed instead of serving the next request"
        assert (served[0], served[2]) == (200, bodies[0])
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert keys == ["k0"]


def test_a_target_in_absolute_form_is_served_like_its_origin_form(server):
    # RFC 9112 3.2.2: a server must accept the absolute form. The server takes origin-form
    # targets as they are and converts any other; both must reach the same object.
    _, _, bodies, targets = _bucket_with_objects(server, 1)
    absolute = f"http://127.0.0.1:{server.s3_port}{targets[0]}"
    with _connect(server.s3_port) as sock:
        sock.sendall(_get(absolute, server.s3_port) + _get(targets[0], server.s3_port))
        responses = _Responses(sock)
        for form in ("absolute", "origin"):
            answer = responses.next()
            assert answer is not None, f"the connection closed before the {form}-form response"
            assert (answer[0], answer[2]) == (200, bodies[0]), (form, answer[0], answer[2][:300])


def _presigned_put(s3, bucket: str, key: str, port: int) -> str:
    url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=600)
    return url.split(str(port), 1)[1]


def test_a_body_that_arrives_after_its_head_in_pieces_is_stored_whole(server):
    # The handler holds a request with a body until its first piece arrives or the read from the
    # socket ends: a head sent alone must still reach the front, and the pieces after it too.
    s3, bucket, _, _ = _bucket_with_objects(server, 1)
    body = bytes(range(256)) * 64  # 16 KiB
    target = _presigned_put(s3, bucket, "slow", server.s3_port)
    with _connect(server.s3_port) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(f"PUT {target} HTTP/1.1\r\nHost: 127.0.0.1:{server.s3_port}\r\n"
                     f"Content-Length: {len(body)}\r\n\r\n".encode())
        for start in range(0, len(body), 5000):
            time.sleep(0.2)
            sock.sendall(body[start:start + 5000])
        answer = _Responses(sock).next()
        assert answer is not None and answer[0] == 200, answer
    assert s3.get_object(Bucket=bucket, Key="slow")["Body"].read() == body


def test_pipelined_puts_with_bodies_are_each_stored_and_answered_in_order(server):
    s3, bucket, _, _ = _bucket_with_objects(server, 1)
    bodies = [bytes([i]) * (1000 * (i + 1)) for i in range(20)]
    requests = b"".join(
        f"PUT {_presigned_put(s3, bucket, f'p{i}', server.s3_port)} HTTP/1.1\r\nHost: 127.0.0.1:{server.s3_port}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n".encode() + body for i, body in enumerate(bodies))
    with _connect(server.s3_port) as sock:
        sock.sendall(requests)
        responses = _Responses(sock)
        for i in range(len(bodies)):
            answer = responses.next()
            assert answer is not None, f"the connection closed before response {i}"
            assert answer[0] == 200, (i, answer)
    for i, body in enumerate(bodies):
        assert s3.get_object(Bucket=bucket, Key=f"p{i}")["Body"].read() == body, f"p{i}"


def test_a_request_with_connection_close_is_answered_then_the_connection_closes(server):
    _, _, bodies, targets = _bucket_with_objects(server, 2)
    with _connect(server.s3_port) as sock:
        # The second request comes after the one that closes the connection: it is not answered.
        sock.sendall(f"GET {targets[0]} HTTP/1.1\r\nHost: 127.0.0.1:{server.s3_port}\r\nConnection: close\r\n\r\n".encode()
                     + _get(targets[1], server.s3_port))
        responses = _Responses(sock)
        status, headers, body = responses.next()
        assert (status, body) == (200, bodies[0])
        assert headers.get("connection") == "close"
        assert responses.closed(), "the server kept the connection open after Connection: close"


def test_an_http_1_0_request_closes_the_connection_unless_it_asks_for_keep_alive(server):
    _, _, bodies, targets = _bucket_with_objects(server, 1)
    with _connect(server.s3_port) as sock:
        sock.sendall(f"GET {targets[0]} HTTP/1.0\r\nHost: 127.0.0.1:{server.s3_port}\r\n\r\n".encode())
        responses = _Responses(sock)
        status, headers, body = responses.next()
        assert (status, body) == (200, bodies[0])
        assert headers.get("connection") == "close"
        assert responses.closed(), "the server kept an HTTP/1.0 connection open"
    with _connect(server.s3_port) as sock:
        kept = f"GET {targets[0]} HTTP/1.0\r\nHost: 127.0.0.1:{server.s3_port}\r\nConnection: keep-alive\r\n\r\n".encode()
        sock.sendall(kept)
        responses = _Responses(sock)
        status, headers, body = responses.next()
        assert (status, body) == (200, bodies[0])
        assert headers.get("connection") != "close"
        sock.sendall(kept)
        again = responses.next()
        assert again is not None, "the server closed a keep-alive HTTP/1.0 connection"
        assert (again[0], again[2]) == (200, bodies[0])


def test_the_answer_to_head_has_the_length_and_no_body(server):
    s3, bucket, bodies, targets = _bucket_with_objects(server, 1)
    url = s3.generate_presigned_url("head_object", Params={"Bucket": bucket, "Key": "k0"}, ExpiresIn=600)
    head_target = url.split(str(server.s3_port), 1)[1]
    with _connect(server.s3_port) as sock:
        # HEAD then GET in one write: were a body sent after the HEAD's head, the GET's answer
        # would not start where it should.
        sock.sendall(f"HEAD {head_target} HTTP/1.1\r\nHost: 127.0.0.1:{server.s3_port}\r\n\r\n".encode()
                     + _get(targets[0], server.s3_port))
        buffer = b""
        while buffer.count(b"\r\n\r\n") < 2 or not buffer.endswith(bodies[0]):
            chunk = sock.recv(65536)
            assert chunk, "the connection closed early"
            buffer += chunk
        head, rest = buffer.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 200 ")
        assert f"content-length: {len(bodies[0])}".encode() in head.lower()
        assert rest.startswith(b"HTTP/1.1 200 "), rest[:40]
        assert rest.endswith(b"\r\n\r\n" + bodies[0])


def test_a_request_that_cannot_be_parsed_gets_400_and_the_connection_closes(server):
    for port in (server.s3_port, server.port):
        with _connect(port) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nA header without a colon\r\n\r\n")
            responses = _Responses(sock)
            status, headers, body = responses.next()
            assert (status, body) == (400, b"")
            assert headers.get("connection") == "close"
            assert responses.closed(), "the server kept the connection open after a malformed request"


def test_shutting_down_closes_idle_keep_alive_connections_and_the_server_exits(server_factory):
    running = server_factory.start(server_factory.data_dir("quiesce"))
    with _connect(running.s3_port) as idle:
        idle.sendall(f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{running.s3_port}\r\n\r\n".encode())
        responses = _Responses(idle)
        answer = responses.next()
        assert answer is not None and answer[0] == 403
        assert answer[1].get("connection") != "close"
        # The connection is idle and kept alive; SIGTERM must close it, not wait for the client.
        errors = []

        def stop():
            try:
                server_factory.stop(running)  # SIGTERM; requires exit status 0 within 10 s
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)

        stopper = threading.Thread(target=stop)
        started = time.monotonic()
        stopper.start()
        idle.settimeout(8)
        assert responses.closed(), "the idle connection was not closed on shutdown"
        assert time.monotonic() - started < 8
        stopper.join()
        assert not errors, errors
