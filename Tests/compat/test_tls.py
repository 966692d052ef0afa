"""HTTPS on every front (`--tls-cert`/`--tls-key`) and the admin token file.

A server started with a self-signed certificate serves FileREST and S3 over TLS to the
unmodified Azure SDK and boto3 (trusting that certificate), refuses plain HTTP on the same
ports, and announces https URLs. The admin token is generated once into DATA/admin-token
(mode 0600) and kept across restarts unless --admin-token is given.
"""

import os
import socket
import ssl
import stat
import subprocess

import pytest
import requests
from azure.storage.fileshare import ShareServiceClient

from compat_helpers import ACCOUNT, ACCOUNT_KEY, unique_name
from conftest import sharecore_binary
from s3_helpers import make_s3_client


def https_connection_string(endpoint: str) -> str:
    return (f"DefaultEndpointsProtocol=https;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
            f"FileEndpoint={endpoint};")


@pytest.fixture(scope="module")
def tls_server(server_factory):
    cert = server_factory.certificate()
    running = server_factory.start(server_factory.data_dir("tls"), tls=cert)
    yield running


def test_azure_sdk_over_https(tls_server):
    assert tls_server.endpoint.startswith("https://")
    service = ShareServiceClient.from_connection_string(https_connection_string(tls_server.endpoint),
                                                        connection_verify=tls_server.ca_file)
    name = unique_name("tls")
    share = service.create_share(name)
    share.get_file_client("hello.txt").upload_file(b"over tls")
    assert share.get_file_client("hello.txt").download_file().readall() == b"over tls"
    snapshot = share.create_snapshot()
    old = service.get_share_client(name, snapshot=snapshot["snapshot"]).get_file_client("hello.txt")
    assert old.download_file().readall() == b"over tls"
    share.delete_share(delete_snapshots=True)


def test_boto3_over_https(tls_server):
    s3 = make_s3_client(tls_server.s3_endpoint, verify=tls_server.ca_file)
    bucket = unique_name("tls")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="a/b.txt", Body=b"secret bytes")
    assert s3.get_object(Bucket=bucket, Key="a/b.txt")["Body"].read() == b"secret bytes"


def test_untrusted_certificate_is_refused_by_clients(tls_server):
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(tls_server.s3_endpoint, timeout=10)


def test_plain_http_on_a_tls_port_gets_no_http_answer(tls_server):
    with socket.create_connection(("127.0.0.1", tls_server.s3_port), timeout=10) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        try:
            answer = sock.recv(64)
        except (ConnectionResetError, socket.timeout):
            answer = b""
    assert not answer.startswith(b"HTTP/1.1 200")


def test_tls_handshake_offers_the_certificate(tls_server):
    context = ssl.create_default_context(cafile=tls_server.ca_file)
    with socket.create_connection(("127.0.0.1", tls_server.port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as sock:
            assert sock.version() in ("TLSv1.2", "TLSv1.3")


def test_banner_names_https(tls_server):
    log = tls_server.log()
    assert f"FileREST https://127.0.0.1:{tls_server.port}/{ACCOUNT}" in log
    assert f"S3 https://127.0.0.1:{tls_server.s3_port}" in log


def test_admin_token_is_generated_once_private_and_kept(server_factory):
    data = server_factory.data_dir("token")
    first = server_factory.start(data)
    token = first.admin_token
    path = os.path.join(data, "admin-token")
    assert len(token) == 43 and all(c.isalnum() or c in "-_" for c in token)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert f"Admin token {token}" in first.log()
    server_factory.stop(first)
    second = server_factory.start(data)
    assert second.admin_token == token
    server_factory.stop(second)


def test_admin_token_flag_wins(server_factory):
    running = server_factory.start(server_factory.data_dir("token-flag"), extra_args=["--admin-token", "given-token"])
    assert "Admin token given-token" in running.log()
    server_factory.stop(running)


def test_bad_tls_arguments_are_refused(server_factory, tmp_path):
    bogus = tmp_path / "not-a-cert.pem"
    bogus.write_text("not a certificate")
    base = [sharecore_binary(), "serve", "--data", str(tmp_path / "data")]
    for extra, message in [
        (["--tls-cert", str(bogus)], "--tls-cert and --tls-key go together"),
        (["--tls-cert", str(bogus), "--tls-key", str(bogus)], "cannot load --tls-cert"),
    ]:
        result = subprocess.run(base + extra, capture_output=True, text=True, timeout=60)
        assert result.returncode != 0
        assert message in result.stderr + result.stdout
