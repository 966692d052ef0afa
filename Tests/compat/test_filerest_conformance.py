"""FileREST behaviours the SDK's live tests and the Azure CLI found different from Azure
(issue #9), through the azure-storage-file-share SDK."""

from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceExistsError
from azure.storage.fileshare import ContentSettings

from compat_helpers import azure_error


def test_rename_directory_replaces_a_file_when_asked(share):
    share.create_directory("moving").get_file_client("inside.txt").upload_file(b"inside")
    share.get_file_client("target").upload_file(b"a file in the way")
    with azure_error(ResourceExistsError, "ResourceAlreadyExists", 409):
        share.get_directory_client("moving").rename_directory("target")
    renamed = share.get_directory_client("moving").rename_directory("target", overwrite=True)
    assert renamed.get_directory_properties().is_directory
    assert share.get_file_client("target/inside.txt").download_file().readall() == b"inside"


def test_content_md5_property_is_stored_as_given(share):
    file = share.get_file_client("md5.txt")
    file.upload_file(b"content")
    odd = b"not sixteen bytes long"
    file.set_http_headers(content_settings=ContentSettings(content_type="text/plain", content_md5=bytearray(odd)))
    properties = file.get_file_properties()
    assert bytes(properties.content_settings.content_md5) == odd
    assert properties.content_settings.content_type == "text/plain"


def test_range_diff_across_a_rename_needs_include_renames(share):
    file = share.get_file_client("before.bin")
    file.upload_file(b"a" * 1024)
    snapshot = share.create_snapshot()["snapshot"]
    renamed = file.rename_file("after.bin")
    renamed.upload_range(b"b" * 512, offset=512, length=512)
    with azure_error(ResourceExistsError, "PreviousSnapshotNotFound", 409):
        renamed.get_ranges_diff(previous_sharesnapshot=snapshot)
    changed, cleared = renamed.get_ranges_diff(previous_sharesnapshot=snapshot, include_renames=True)
    assert [(r["start"], r["end"]) for r in changed] == [(512, 1023)]
    assert cleared == []


def test_put_range_from_url_needs_the_sources_own_authorization(share):
    source = share.get_file_client("source.bin")
    source.upload_file(b"s" * 1024)
    target = share.get_file_client("target.bin")
    target.create_file(1024)
    # The request's Shared Key does not cover the source: as on Azure, it needs a SAS.
    with azure_error(ClientAuthenticationError, "CannotVerifyCopySource", 401) as info:
        target.upload_range_from_url(source.url, offset=0, length=512, source_offset=0)
    assert info.value.response.headers.get("x-ms-copy-source-status-code") == "401"
    assert target.download_file().readall() == bytes(1024)


def test_a_share_snapshot_can_be_leased(service, share):
    snapshot = share.create_snapshot()["snapshot"]
    at_snapshot = service.get_share_client(share.share_name, snapshot=snapshot)
    lease = at_snapshot.acquire_lease(lease_duration=-1)
    assert at_snapshot.get_share_properties().lease.state == "leased"
    assert share.get_share_properties().lease.state == "available"
    with azure_error(HttpResponseError, "LeaseIdMissing", 412):
        at_snapshot.delete_share()
    with azure_error(ResourceExistsError, "DeleteShareWhenSnapshotLeased", 409):
        share.delete_share(delete_snapshots=True)
    lease.release()
    at_snapshot.delete_share()
