"""Addressing and versions: host-style URLs (as on Azure), path-style URLs (as on the emulators),
and every request version from 2019-02-02 to the newest the SDK sends."""

import datetime as dt

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.storage.fileshare import (
    ShareFileClient,
    ShareSasPermissions,
    ShareServiceClient,
    generate_share_sas,
)

from compat_helpers import (
    ACCOUNT,
    ACCOUNT_KEY,
    azure_error,
    host_style_transport,
    host_style_url,
    unique_name,
)


@pytest.fixture
def host_style_service(server):
    """A client that addresses the account as http://devstoreaccount1.file.core.windows.net:<port>."""
    return ShareServiceClient(host_style_url(server.port),
                              credential={"account_name": ACCOUNT, "account_key": ACCOUNT_KEY},
                              transport=host_style_transport(server.port))


def test_host_style_requests(server, host_style_service, service):
    name = unique_name("host")
    share = host_style_service.create_share(name)
    assert share.url == f"{host_style_url(server.port)}/{name}"
    try:
        directory = share.create_directory("dir")
        file = directory.upload_file("hello.txt", b"host style", metadata={"via": "host"})
        assert file.download_file().readall() == b"host style"
        assert file.get_file_properties().metadata == {"via": "host"}
        assert [s.name for s in host_style_service.list_shares(name_starts_with=name)] == [name]
        assert [e["name"] for e in directory.list_directories_and_files()] == ["hello.txt"]
        # The same data through the path-style endpoint.
        assert service.get_share_client(name).get_file_client("dir/hello.txt").download_file().readall() == b"host style"
        with azure_error(ResourceNotFoundError, "ResourceNotFound", 404):
            share.get_file_client("dir/missing").get_file_properties()
    finally:
        service.delete_share(name)


def test_host_style_with_a_sas(server, share):
    share.get_file_client("doc").upload_file(b"sas over host style")
    sas = generate_share_sas(ACCOUNT, share.share_name, ACCOUNT_KEY, permission=ShareSasPermissions(read=True),
                             expiry=dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1))
    file = ShareFileClient(host_style_url(server.port), share.share_name, "doc", credential=sas,
                           transport=host_style_transport(server.port))
    assert file.download_file().readall() == b"sas over host style"


@pytest.mark.parametrize("version", ["2019-02-02", "2020-02-10", "2021-06-08", "2023-01-03", "2025-11-05", "2026-10-06"])
def test_accepted_versions(conn_str, version):
    service = ShareServiceClient.from_connection_string(conn_str, api_version=version)
    name = unique_name("ver")
    share = service.create_share(name)
    try:
        file = share.get_file_client("f")
        file.create_file(3)
        file.upload_range(b"abc", offset=0, length=3)
        headers = {}
        data = file.download_file(raw_response_hook=lambda r: headers.update(r.http_response.headers)).readall()
        assert data == b"abc"
        assert headers["x-ms-version"] == version
        assert [e["name"] for e in share.list_directories_and_files()] == ["f"]
    finally:
        share.delete_share()


def test_unknown_version_is_refused(service):
    def newer_version(request):
        request.http_request.headers["x-ms-version"] = "2099-01-01"

    with azure_error(HttpResponseError, "InvalidHeaderValue", 400):
        list(service.list_shares(raw_request_hook=newer_version))
