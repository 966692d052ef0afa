"""Reliability defects of issue #10 seen from real clients: ETags that cost nothing, parents in
the object's commit, aborted bodies, a full disk, and damaged stored data."""

import http.client
import os
import socket
import subprocess
import time
from urllib.parse import urlsplit

import pytest
from azure.core.exceptions import HttpResponseError
from azure.storage.fileshare import ShareServiceClient
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from compat_helpers import ACCOUNT, ACCOUNT_KEY, connection_string, pattern
from s3_helpers import _SignedPayloadAuth, make_s3_client, quoted_md5, signed_request

TiB = 1024 ** 4


def _wait_for_log(server, needle: str) -> str:
    """The server's log once it contains `needle` (the request line is written when it ends)."""
    for _ in range(300):
        log = server.log()
        if needle in log:
            return log
        time.sleep(0.1)
    pytest.fail(f"{needle!r} never appeared in the server log:\n{server.log()[-3000:]}")


# MARK: Item 2: an ETag never costs work proportional to the file's size


def test_huge_sparse_file_is_served_at_once_with_a_non_md5_etag(service, s3_client, bucket):
    file = service.get_share_client(bucket).get_file_client("huge.bin")
    file.create_file(size=4 * TiB)
    file.upload_range(b"tail", offset=4 * TiB - 4, length=4)
    head = s3_client.head_object(Bucket=bucket, Key="huge.bin")
    assert head["ContentLength"] == 4 * TiB
    etag = head["ETag"]
    assert etag.endswith('-1"') and len(etag) == 36, etag  # multipart form: clients do not take it for an MD5
    listed = s3_client.list_objects_v2(Bucket=bucket)["Contents"]
    assert [(o["Key"], o["ETag"]) for o in listed] == [("huge.bin", etag)]
    ranged = s3_client.get_object(Bucket=bucket, Key="huge.bin", Range=f"bytes={4 * TiB - 8}-")
    assert ranged["Body"].read() == b"\0\0\0\0tail"
    assert ranged["ETag"] == etag
    # A change of content changes it.
    file.upload_range(b"head", offset=0, length=4)
    assert s3_client.head_object(Bucket=bucket, Key="huge.bin")["ETag"] != etag


def test_small_file_written_out_of_order_still_has_its_md5_etag(service, s3_client, bucket):
    data = pattern(3 * 1024 * 1024)
    file = service.get_share_client(bucket).get_file_client("small.bin")
    file.create_file(size=len(data))
    file.upload_range(data[1024 * 1024:], offset=1024 * 1024, length=len(data) - 1024 * 1024)
    file.upload_range(data[:1024 * 1024], offset=0, length=1024 * 1024)
    assert s3_client.head_object(Bucket=bucket, Key="small.bin")["ETag"] == quoted_md5(data)


# MARK: Item 5: an S3 PUT under new folders creates them in the object's own commit


def _start_unsigned_put(endpoint: str, path: str, length: int) -> http.client.HTTPConnection:
    """Opens a SigV4-signed PUT (UNSIGNED-PAYLOAD) of `length` bytes and sends only its head."""
    request = AWSRequest(method="PUT", url=endpoint + path, data=b"", headers={"Content-Length": str(length)})
    _SignedPayloadAuth(Credentials(ACCOUNT, ACCOUNT_KEY), "UNSIGNED-PAYLOAD").add_auth(request)
    parts = urlsplit(endpoint)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    connection.putrequest("PUT", path, skip_accept_encoding=True)
    for name, value in request.headers.items():
        connection.putheader(name, value)
    connection.endheaders()
    return connection


def test_put_under_new_folders_shows_nothing_until_the_object_is_complete(s3_endpoint, s3_client, bucket):
    body = pattern(6 * 1024 * 1024, seed=3)
    connection = _start_unsigned_put(s3_endpoint, f"/{bucket}/a1/b1/object.bin", len(body))
    try:
        connection.send(body[:5 * 1024 * 1024])
        # While the body streams, neither the object nor its folders exist.
        for _ in range(3):
            listed = s3_client.list_objects_v2(Bucket=bucket, Prefix="a1")
            assert listed["KeyCount"] == 0, listed.get("Contents")
            time.sleep(0.2)
        connection.send(body[5 * 1024 * 1024:])
        response = connection.getresponse()
        assert response.status == 200, response.read()
    finally:
        connection.close()
    listed = s3_client.list_objects_v2(Bucket=bucket)
    assert [o["Key"] for o in listed["Contents"]] == ["a1/b1/object.bin"]
    assert s3_client.get_object(Bucket=bucket, Key="a1/b1/object.bin")["Body"].read() == body


# MARK: Item 9: an aborted body is the client's fault, and nothing is written


def test_aborted_s3_upload_is_incomplete_body_and_writes_nothing(server, s3_endpoint, s3_client, bucket):
    connection = _start_unsigned_put(s3_endpoint, f"/{bucket}/new-dir/aborted.bin", 1_000_000)
    connection.send(b"only the start of the body")
    connection.sock.shutdown(socket.SHUT_RDWR)
    connection.close()
    log = _wait_for_log(server, f"PUT /{bucket}/new-dir/aborted.bin ")
    line = next(l for l in log.splitlines() if f"PUT /{bucket}/new-dir/aborted.bin " in l)
    assert f"PUT /{bucket}/new-dir/aborted.bin 400 " in line, line
    assert s3_client.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_aborted_filerest_range_is_invalid_input_and_writes_nothing(server, share):
    file = share.get_file_client("ranged.bin")
    file.create_file(size=1000)
    request = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    # Anonymous: the body is aborted before the server could answer (403) anyway; what counts is
    # that the request is logged as the client's 4xx fault and the file is unchanged.
    request.putrequest("PUT", f"/{ACCOUNT}/{share.share_name}/ranged.bin?comp=range")
    request.putheader("Content-Length", "1000")
    request.putheader("x-ms-range", "bytes=0-999")
    request.putheader("x-ms-write", "update")
    request.endheaders()
    request.send(b"x" * 10)
    request.sock.shutdown(socket.SHUT_RDWR)
    request.close()
    log = _wait_for_log(server, f"PUT /{ACCOUNT}/{share.share_name}/ranged.bin ")
    line = next(l for l in log.splitlines() if f"PUT /{ACCOUNT}/{share.share_name}/ranged.bin " in l)
    assert " 500 " not in line, line
    assert file.download_file().readall() == b"\0" * 1000


def test_empty_bucket_name_is_a_client_error(s3_endpoint):
    response = signed_request(s3_endpoint, "GET", "//")
    assert 400 <= response.status_code < 500, response.text
    assert "MDB_" not in response.text


# MARK: Item 10: a full disk is final, not "retry"


@pytest.fixture
def tiny_disk():
    """An 8 MiB tmpfs (mounting needs root, as CI has)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mount_point = subprocess.check_output(["mktemp", "-d", "/tmp/sharecore-full-XXXXXX"], text=True).strip()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", mount_point], check=True)
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", mount_point], check=False)
        os.rmdir(mount_point)


def test_full_disk_is_insufficient_storage_on_s3_and_share_full_on_filerest(server_factory, tiny_disk):
    running = server_factory.start(os.path.join(tiny_disk, "data"))
    s3 = make_s3_client(running.s3_endpoint)
    s3.create_bucket(Bucket="full")
    with pytest.raises(ClientError) as caught:
        s3.put_object(Bucket="full", Key="big.bin", Body=pattern(16 * 1024 * 1024))
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 507
    assert caught.value.response["Error"]["Code"] == "InsufficientStorage"
    # botocore does not retry a 507: one attempt only.
    assert caught.value.response["ResponseMetadata"]["RetryAttempts"] == 0

    service = ShareServiceClient.from_connection_string(connection_string(running.endpoint))
    file = service.get_share_client("full").get_file_client("big2.bin")
    with pytest.raises(HttpResponseError) as refused:
        file.upload_file(pattern(16 * 1024 * 1024, seed=2))
    assert refused.value.error_code == "ShareSizeLimitReached"
    assert refused.value.status_code == 409
    server_factory.stop(running)


# MARK: Item 8: a read that hits a bad checksum fails before the status line


def test_damaged_small_object_answers_500_before_any_byte(server_factory):
    data_dir = server_factory.data_dir("damaged")
    running = server_factory.start(data_dir)
    s3 = make_s3_client(running.s3_endpoint)
    s3.create_bucket(Bucket="damaged")
    content = pattern(100_000, seed=9)
    s3.put_object(Bucket="damaged", Key="dir/victim.bin", Body=content)
    server_factory.stop(running)

    path = os.path.join(data_dir, "data.mdb")
    raw = bytearray(open(path, "rb").read())
    at = raw.find(content[50_000:50_064])
    assert at >= 0
    raw[at] ^= 0xFF
    open(path, "wb").write(bytes(raw))

    running = server_factory.start(data_dir)
    s3 = make_s3_client(running.s3_endpoint, config=__import__("botocore.config").config.Config(retries={"max_attempts": 1}))
    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket="damaged", Key="dir/victim.bin")["Body"].read()
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert caught.value.response["Error"]["Code"] == "InternalError"
    service = ShareServiceClient.from_connection_string(connection_string(running.endpoint))
    with pytest.raises(HttpResponseError) as refused:
        service.get_share_client("damaged").get_file_client("dir/victim.bin").download_file(retry_total=0).readall()
    assert refused.value.status_code == 500
    log = running.log()
    failures = [l for l in log.splitlines() if "dataCorrupted" in l and "error" in l.lower()]
    assert failures, log[-3000:]
    assert any("share 'damaged', file 'dir/victim.bin', reading bytes 0..<" in l for l in failures), failures
    # Each failure is logged with the request id its client was answered with.
    s3_id = caught.value.response["ResponseMetadata"]["RequestId"]
    rest_id = refused.value.response.headers["x-ms-request-id"]
    assert any(f"request-id={s3_id}" in l for l in failures), (s3_id, failures)
    assert any(f"request-id={rest_id}" in l for l in failures), (rest_id, failures)
    server_factory.stop(running)
