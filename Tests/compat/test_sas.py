"""Shared access signatures: account SAS, share SAS (also through a stored access policy), file SAS."""

import datetime as dt

import requests
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError
from azure.storage.fileshare import (
    AccessPolicy,
    AccountSasPermissions,
    FileSasPermissions,
    ResourceTypes,
    ShareClient,
    ShareFileClient,
    ShareSasPermissions,
    ShareServiceClient,
    generate_account_sas,
    generate_file_sas,
    generate_share_sas,
)

from compat_helpers import ACCOUNT, ACCOUNT_KEY, azure_error, unique_name

UTC = dt.timezone.utc


def _in(hours: float) -> dt.datetime:
    return dt.datetime.now(UTC) + dt.timedelta(hours=hours)


def test_account_sas(server, service):
    name = unique_name("asas")
    sas = generate_account_sas(ACCOUNT, ACCOUNT_KEY, ResourceTypes(service=True, container=True, object=True),
                               AccountSasPermissions(read=True, write=True, list=True, create=True), expiry=_in(1))
    client = ShareServiceClient(server.endpoint, credential=sas)
    share = client.create_share(name)
    try:
        file = share.get_file_client("f.txt")
        file.upload_file(b"via an account SAS")
        assert file.download_file().readall() == b"via an account SAS"
        assert [s.name for s in client.list_shares(name_starts_with=name)] == [name]
        with azure_error(HttpResponseError, "AuthorizationPermissionMismatch", 403):
            file.delete_file()
        with azure_error(HttpResponseError, "AuthorizationPermissionMismatch", 403):
            share.delete_share()

        objects_only = generate_account_sas(ACCOUNT, ACCOUNT_KEY, ResourceTypes(object=True),
                                            AccountSasPermissions(read=True, list=True), expiry=_in(1))
        limited = ShareServiceClient(server.endpoint, credential=objects_only)
        assert limited.get_share_client(name).get_file_client("f.txt").download_file().readall() == b"via an account SAS"
        with azure_error(HttpResponseError, "AuthorizationResourceTypeMismatch", 403):
            list(limited.list_shares())
    finally:
        service.delete_share(name)


def test_share_sas(server, share):
    share.create_directory("dir").upload_file("doc.txt", b"readable")
    sas = generate_share_sas(ACCOUNT, share.share_name, ACCOUNT_KEY,
                             permission=ShareSasPermissions(read=True, list=True), expiry=_in(1))
    reader = ShareClient(server.endpoint, share.share_name, credential=sas)
    assert [e["name"] for e in reader.list_directories_and_files()] == ["dir"]
    assert reader.get_file_client("dir/doc.txt").download_file().readall() == b"readable"
    assert reader.get_file_client("dir/doc.txt").get_file_properties().size == 8
    with azure_error(HttpResponseError, "AuthorizationPermissionMismatch", 403):
        reader.get_file_client("dir/new.txt").upload_file(b"refused")
    with azure_error(HttpResponseError, "AuthorizationPermissionMismatch", 403):
        reader.get_file_client("dir/doc.txt").delete_file()
    assert [e["name"] for e in share.get_directory_client("dir").list_directories_and_files()] == ["doc.txt"]


def test_share_sas_from_a_stored_access_policy(server, share):
    share.get_file_client("doc").upload_file(b"by policy")
    share.set_share_access_policy({
        "readonly": AccessPolicy(permission=ShareSasPermissions(read=True), start=_in(-1), expiry=_in(1)),
    })
    sas = generate_share_sas(ACCOUNT, share.share_name, ACCOUNT_KEY, policy_id="readonly")
    reader = ShareClient(server.endpoint, share.share_name, credential=sas)
    assert reader.get_file_client("doc").download_file().readall() == b"by policy"
    with azure_error(HttpResponseError, "AuthorizationPermissionMismatch", 403):
        reader.get_file_client("doc").set_file_metadata({"a": "b"})

    # Removing the policy revokes every SAS that names it.
    share.set_share_access_policy({})
    with azure_error(ClientAuthenticationError, "AuthenticationFailed", 403):
        reader.get_file_client("doc").get_file_properties()


def test_file_sas(server, share):
    share.create_directory("dir").upload_file("doc.txt", b"one file")
    share.get_file_client("other.txt").upload_file(b"another file")
    sas = generate_file_sas(ACCOUNT, share.share_name, ["dir", "doc.txt"], ACCOUNT_KEY,
                            permission=FileSasPermissions(read=True), expiry=_in(1))
    file = ShareFileClient(server.endpoint, share.share_name, "dir/doc.txt", credential=sas)
    assert file.download_file().readall() == b"one file"
    with azure_error(HttpResponseError, "AuthorizationPermissionMismatch", 403):
        file.set_file_metadata({"a": "b"})
    # The signature covers one file only.
    other = ShareFileClient(server.endpoint, share.share_name, "other.txt", credential=sas)
    with azure_error(ClientAuthenticationError, "AuthenticationFailed", 403):
        other.download_file()

    writer_sas = generate_file_sas(ACCOUNT, share.share_name, ["dir", "doc.txt"], ACCOUNT_KEY,
                                   permission=FileSasPermissions(read=True, write=True), expiry=_in(1))
    writer = ShareFileClient(server.endpoint, share.share_name, "dir/doc.txt", credential=writer_sas)
    writer.upload_range(b"ONE", offset=0, length=3)
    assert writer.download_file().readall() == b"ONE file"


def test_expired_sas_is_refused(server, share):
    share.get_file_client("doc").upload_file(b"too late")
    sas = generate_share_sas(ACCOUNT, share.share_name, ACCOUNT_KEY, permission=ShareSasPermissions(read=True),
                             start=_in(-2), expiry=_in(-1))
    reader = ShareClient(server.endpoint, share.share_name, credential=sas)
    with azure_error(ClientAuthenticationError, "AuthenticationFailed", 403):
        reader.get_file_client("doc").download_file()


def test_not_yet_valid_sas_is_refused(server, share):
    share.get_file_client("doc").upload_file(b"too early")
    sas = generate_share_sas(ACCOUNT, share.share_name, ACCOUNT_KEY, permission=ShareSasPermissions(read=True),
                             start=_in(1), expiry=_in(2))
    reader = ShareClient(server.endpoint, share.share_name, credential=sas)
    with azure_error(ClientAuthenticationError, "AuthenticationFailed", 403):
        reader.get_file_client("doc").get_file_properties()


def test_tampered_sas_is_refused(server, share):
    share.get_file_client("doc").upload_file(b"tamper-proof")
    sas = generate_share_sas(ACCOUNT, share.share_name, ACCOUNT_KEY, permission=ShareSasPermissions(read=True),
                             expiry=_in(1))
    assert "sp=r&" in sas
    forged = ShareClient(server.endpoint, share.share_name, credential=sas.replace("sp=r&", "sp=rwd&"))
    with azure_error(ClientAuthenticationError, "AuthenticationFailed", 403):
        forged.get_file_client("doc").delete_file()
    assert share.get_file_client("doc").download_file().readall() == b"tamper-proof"


def test_anonymous_requests_are_refused(server, share):
    share.get_file_client("doc").upload_file(b"private")
    response = requests.get(f"{server.endpoint}/{share.share_name}/doc", headers={"x-ms-version": "2025-11-05"})
    assert response.status_code == 403
    assert response.headers["x-ms-error-code"] == "AuthenticationFailed"
    assert b"private" not in response.content
