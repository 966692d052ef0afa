"""Every error the issue lists, with the exception type, error code and status the SDK's users see.

The SDK maps 404 to ResourceNotFoundError and 409 to ResourceExistsError (whatever the code),
AuthenticationFailed to ClientAuthenticationError, and everything else to HttpResponseError.
ShareHasSnapshots and ShareSnapshotCountExceeded are in test_snapshots.py, lease conflicts in
test_leases.py, SAS refusals in test_sas.py.
"""

import base64
import re

from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
)
from azure.storage.fileshare import ShareServiceClient

from compat_helpers import MiB, azure_error, connection_string, unique_name


def test_share_not_found(service):
    missing = service.get_share_client(unique_name("missing"))
    with azure_error(ResourceNotFoundError, "ShareNotFound", 404):
        missing.get_share_properties()
    with azure_error(ResourceNotFoundError, "ShareNotFound", 404) as info:
        missing.create_directory("dir")
    with azure_error(ResourceNotFoundError, "ShareNotFound", 404):
        missing.get_file_client("f").upload_file(b"x")
    with azure_error(ResourceNotFoundError, "ShareNotFound", 404):
        missing.delete_share()
    # The body is the service's: a BOM, the XML declaration, <Error><Code/><Message/></Error>.
    body = info.value.response.body()
    assert body.startswith(b'\xef\xbb\xbf<?xml version="1.0" encoding="utf-8"?><Error><Code>ShareNotFound</Code><Message>'
                           b"The specified share does not exist.\nRequestId:")
    assert re.search(rb"\nTime:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z</Message></Error>$", body)


def test_parent_not_found(share):
    with azure_error(ResourceNotFoundError, "ParentNotFound", 404):
        share.get_file_client("no/such/file").create_file(1)
    with azure_error(ResourceNotFoundError, "ParentNotFound", 404):
        share.create_directory("no/such")
    assert list(share.list_directories_and_files()) == []


def test_resource_not_found(share):
    with azure_error(ResourceNotFoundError, "ResourceNotFound", 404):
        share.get_file_client("nothing").get_file_properties()
    with azure_error(ResourceNotFoundError, "ResourceNotFound", 404):
        share.get_file_client("nothing").delete_file()
    with azure_error(ResourceNotFoundError, "ResourceNotFound", 404):
        share.get_directory_client("nowhere").delete_directory()
    with azure_error(ResourceNotFoundError, "ResourceNotFound", 404):
        list(share.get_directory_client("nowhere").list_directories_and_files())


def test_share_already_exists(service, share):
    with azure_error(ResourceExistsError, "ShareAlreadyExists", 409):
        service.create_share(share.share_name)


def test_resource_already_exists(share):
    share.create_directory("dir")
    with azure_error(ResourceExistsError, "ResourceAlreadyExists", 409):
        share.create_directory("dir")
    share.get_file_client("file").create_file(1)
    # A directory where a file is (and the reverse) is a type mismatch, as on Azure.
    with azure_error(ResourceExistsError, "ResourceTypeMismatch", 409):
        share.create_directory("file")


def test_directory_not_empty(share):
    directory = share.create_directory("full")
    directory.upload_file("inside", b"x")
    with azure_error(ResourceExistsError, "DirectoryNotEmpty", 409):
        directory.delete_directory()
    assert directory.exists()


def test_share_has_snapshots(share):
    share.create_snapshot()
    with azure_error(ResourceExistsError, "ShareHasSnapshots", 409):
        share.delete_share()


def test_invalid_range_on_read(share):
    file = share.get_file_client("ten")
    file.upload_file(b"0123456789")
    with azure_error(HttpResponseError, "InvalidRange", 416):
        file.download_file(offset=100, length=10)


def test_invalid_range_on_write_past_the_end(share):
    file = share.get_file_client("small")
    file.create_file(512)
    with azure_error(HttpResponseError, "InvalidRange", 416):
        file.upload_range(b"x" * 512, offset=1024, length=512)
    assert file.get_file_properties().size == 512


def test_invalid_header_value(share):
    file = share.get_file_client("times")
    with azure_error(HttpResponseError, "InvalidHeaderValue", 400) as info:
        file.create_file(1, file_creation_time="yesterday afternoon")
    assert info.value.additional_info.get("headername") == "x-ms-file-creation-time"
    with azure_error(HttpResponseError, "InvalidHeaderValue", 400):
        file.create_file(1, file_attributes="Sparkly")
    assert not file.exists()


def test_invalid_resource_name(service, share):
    with azure_error(HttpResponseError, "InvalidResourceName", 400):
        service.create_share("Not_A_Valid_Share")
    with azure_error(HttpResponseError, "InvalidResourceName", 400):
        service.create_share("a--b")
    with azure_error(HttpResponseError, "InvalidResourceName", 400):
        share.get_file_client("bad|name").create_file(1)
    with azure_error(HttpResponseError, "InvalidResourceName", 400):
        share.create_directory('quote"d')
    assert list(share.list_directories_and_files()) == []


def test_invalid_metadata(service, share):
    with azure_error(HttpResponseError, "InvalidMetadata", 400):
        share.set_share_metadata({"1starts_with_a_digit": "x"})
    with azure_error(HttpResponseError, "InvalidMetadata", 400):
        share.create_directory("d", metadata={"has-dash": "x"})
    file = share.get_file_client("f")
    file.create_file(1, metadata={"good": "yes"})
    with azure_error(HttpResponseError, "InvalidMetadata", 400):
        file.set_file_metadata({"bad.name": "x"})
    assert file.get_file_properties().metadata == {"good": "yes"}
    assert share.get_share_properties().metadata == {}


def test_lease_id_missing(share):
    file = share.get_file_client("leased")
    file.create_file(512)
    file.acquire_lease()
    with azure_error(HttpResponseError, "LeaseIdMissing", 412):
        file.upload_range(b"x" * 512, offset=0, length=512)
    with azure_error(HttpResponseError, "LeaseIdMissing", 412):
        file.resize_file(1024)


def test_request_body_too_large(share):
    file = share.get_file_client("big")
    file.create_file(8 * MiB)
    too_much = b"\x01" * (4 * MiB + 512)
    with azure_error(HttpResponseError, "RequestBodyTooLarge", 413):
        file.upload_range(too_much, offset=0, length=len(too_much))
    assert file.get_ranges() == []


def test_authentication_failed_with_a_wrong_key(server):
    wrong_key = base64.b64encode(b"definitely not the account key!!" * 2).decode()
    client = ShareServiceClient.from_connection_string(connection_string(server.endpoint, key=wrong_key))
    with azure_error(ClientAuthenticationError, "AuthenticationFailed", 403):
        list(client.list_shares())
    with azure_error(ClientAuthenticationError, "AuthenticationFailed", 403):
        client.create_share(unique_name("nokey"))
    with azure_error(ClientAuthenticationError, "AuthenticationFailed", 403):
        client.get_share_client("anything").get_share_properties()
