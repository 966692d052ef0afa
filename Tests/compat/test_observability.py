"""Observability (issue #10): `/metrics` and `/healthz` on `--admin-port`, and the request id
on the server's log lines.

A server of its own runs with `--admin-port`; FileREST and S3 are driven with the real SDKs,
then `/metrics` is scraped and the figures that must have moved are compared with a scrape
taken before."""

import json
import re
import time

import pytest
import requests
from azure.core.exceptions import ResourceNotFoundError
from azure.storage.fileshare import ShareServiceClient
from botocore.config import Config
from botocore.exceptions import ClientError

from compat_helpers import connection_string, unique_name
from conftest import _pick_ports
from s3_helpers import make_s3_client

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


@pytest.fixture(scope="module")
def observed(server_factory):
    """A server with the admin port on; yields (server, admin base URL)."""
    port = _pick_ports(1)[0]
    running = server_factory.start(server_factory.data_dir("observed"), extra_args=["--admin-port", str(port)])
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(base + "/healthz", timeout=5)
            break
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                pytest.fail(f"the admin port {port} did not listen:\n{running.log()}")
            time.sleep(0.1)
    assert f"Admin http://127.0.0.1:{port} (/healthz, /metrics)" in running.log()
    return running, base


def scrape(base: str) -> dict:
    """`/metrics` as {(name, frozenset(labels)): value}, after checking the format."""
    reply = requests.get(base + "/metrics", timeout=10)
    assert reply.status_code == 200
    assert reply.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for line in reply.text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = SAMPLE.match(line)
        assert match, f"not a Prometheus sample: {line!r}"
        name, labels, value = match.groups()
        samples[(name, frozenset(LABEL.findall(labels or "")))] = float(value)
    return samples


def value(samples: dict, name: str, **labels) -> float:
    """The sample `name` with exactly `labels` (0 when absent)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def total(samples: dict, name: str, **labels) -> float:
    """The sum of the samples `name` whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


def test_healthz_answers_200_with_the_store_figures(observed):
    _, base = observed
    reply = requests.get(base + "/healthz", timeout=10)
    assert reply.status_code == 200
    assert reply.headers["Content-Type"] == "application/json"
    body = reply.json()
    assert body["status"] == "ok"
    assert body["storeBytes"] > 0 and body["freeDiskBytes"] > 0


def test_admin_port_refuses_other_methods_and_paths(observed):
    _, base = observed
    refused = requests.post(base + "/metrics", timeout=10)
    assert refused.status_code == 405 and refused.headers["Allow"] == "GET, HEAD"
    assert requests.get(base + "/nothing", timeout=10).status_code == 404
    assert requests.head(base + "/healthz", timeout=10).status_code == 200


def test_requests_are_counted_by_front_operation_and_status(observed):
    running, base = observed
    before = scrape(base)

    service = ShareServiceClient.from_connection_string(connection_string(running.endpoint))
    share = service.create_share(unique_name("obs"))
    file = share.get_file_client("hello.txt")
    file.upload_file(b"x" * 5000)
    assert file.download_file().readall() == b"x" * 5000
    with pytest.raises(ResourceNotFoundError):
        share.get_file_client("missing.txt").download_file()

    s3 = make_s3_client(running.s3_endpoint, config=Config(retries={"max_attempts": 1}))
    bucket = unique_name("obs")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="a.bin", Body=b"y" * 7000)
    assert s3.get_object(Bucket=bucket, Key="a.bin")["Body"].read() == b"y" * 7000
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="missing.bin")

    after = scrape(base)

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("sharecore_requests_total", front="FileREST", operation="CreateShare", status="201") == 1
    assert moved("sharecore_requests_total", front="FileREST", operation="CreateFile", status="201") == 1
    assert moved("sharecore_requests_total", front="FileREST", operation="PutRange", status="201") >= 1
    assert moved("sharecore_requests_total", front="FileREST", operation="GetFile", status="404") == 1
    assert moved("sharecore_requests_total", front="S3", operation="CreateBucket", status="200") == 1
    assert moved("sharecore_requests_total", front="S3", operation="PutObject", status="200") == 1
    assert moved("sharecore_requests_total", front="S3", operation="GetObject", status="200") == 1
    assert moved("sharecore_requests_total", front="S3", operation="HeadObject", status="404") == 1

    # Latency histograms: one observation per request, in a bucket and in +Inf.
    assert moved("sharecore_request_duration_seconds_count", front="S3", operation="PutObject") == 1
    assert moved("sharecore_request_duration_seconds_bucket", front="S3", operation="PutObject", le="+Inf") == 1
    assert moved("sharecore_request_duration_seconds_sum", front="S3", operation="PutObject") > 0
    assert moved("sharecore_request_duration_seconds_count", front="FileREST", operation="GetFile") >= 2

    # Bytes in and out, by front.
    assert moved("sharecore_request_body_bytes_total", front="FileREST") >= 5000
    assert moved("sharecore_response_body_bytes_total", front="FileREST") >= 5000
    assert moved("sharecore_request_body_bytes_total", front="S3") >= 7000
    assert moved("sharecore_response_body_bytes_total", front="S3") >= 7000

    # Commits: batch sizes and durations (with their syncs) are histograms.
    assert moved("sharecore_commit_batch_operations_count") >= 4
    assert moved("sharecore_commit_batch_operations_sum") >= 4
    assert moved("sharecore_commit_duration_seconds_count") >= 4

    # Gauges: the scrape's own connection is open; the store has a size and free space.
    assert value(after, "sharecore_open_connections", front="admin") >= 1
    assert ("sharecore_open_connections", frozenset({("front", "S3")})) in after
    assert value(after, "sharecore_store_bytes") > value(before, "sharecore_store_bytes") - 1
    assert value(after, "sharecore_store_bytes") > 0
    assert value(after, "sharecore_store_free_disk_bytes") > 0


def test_a_failing_request_is_logged_with_the_request_id_the_client_saw(observed):
    running, _ = observed
    s3 = make_s3_client(running.s3_endpoint, config=Config(retries={"max_attempts": 1}))
    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket=unique_name("nobucket"), Key="k")
    s3_id = caught.value.response["ResponseMetadata"]["RequestId"]
    assert re.fullmatch(r"[0-9A-F]{16}", s3_id)

    service = ShareServiceClient.from_connection_string(connection_string(running.endpoint))
    with pytest.raises(ResourceNotFoundError) as missing:
        service.get_share_client(unique_name("noshare")).get_share_properties()
    rest_id = missing.value.response.headers["x-ms-request-id"]

    lines = running.log().splitlines()
    s3_lines = [l for l in lines if f"request-id={s3_id}" in l]
    assert any("front=S3" in l and "operation=GetObject" in l and " 404 " in l for l in s3_lines), s3_lines or lines[-20:]
    rest_lines = [l for l in lines if f"request-id={rest_id}" in l]
    assert any("front=FileREST" in l and "operation=GetShareProperties" in l and " 404 " in l for l in rest_lines), \
        rest_lines or lines[-20:]
