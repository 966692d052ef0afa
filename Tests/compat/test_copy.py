"""Copy File: from a file, from a snapshot, from a SAS URL; copies complete synchronously."""

import datetime as dt

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.storage.fileshare import FileSasPermissions, ShareFileClient, generate_file_sas

from compat_helpers import ACCOUNT, ACCOUNT_KEY, MiB, azure_error, pattern


def test_copy_from_a_file(share):
    data = pattern(5 * MiB, 11)
    source = share.get_file_client("source.bin")
    source.upload_file(data, metadata={"from": "source"})
    target = share.create_directory("copies").get_file_client("target.bin")

    result = target.start_copy_from_url(source.url)
    assert result["copy_status"] == "success"
    assert result["copy_id"]
    props = target.get_file_properties()
    assert props.copy.status == "success"
    assert props.copy.id == result["copy_id"]
    assert props.copy.source == source.url
    assert props.copy.progress == f"{len(data)}/{len(data)}"
    assert props.size == len(data)
    assert props.metadata == {"from": "source"}
    assert target.download_file().readall() == data

    # The copy is independent of its source.
    source.upload_range(b"\xff" * 512, offset=0, length=512)
    assert target.download_file(offset=0, length=512).readall() == data[:512]


def test_copy_with_new_metadata(share):
    source = share.get_file_client("s")
    source.upload_file(b"payload", metadata={"old": "1"})
    target = share.get_file_client("t")
    target.start_copy_from_url(source.url, metadata={"new": "2"})
    assert target.get_file_properties().metadata == {"new": "2"}


def test_copy_from_a_snapshot(conn_str, share):
    source = share.get_file_client("evolving.txt")
    source.upload_file(b"as it was")
    snap = share.create_snapshot()["snapshot"]
    source.upload_file(b"as it is now")

    at_snapshot = ShareFileClient.from_connection_string(conn_str, share.share_name, "evolving.txt", snapshot=snap)
    assert "sharesnapshot=" in at_snapshot.url
    target = share.get_file_client("restored.txt")
    assert target.start_copy_from_url(at_snapshot.url)["copy_status"] == "success"
    assert target.download_file().readall() == b"as it was"


def test_copy_from_a_sas_url(service, share):
    other = service.create_share(share.share_name + "-src")
    try:
        source = other.get_file_client("remote.bin")
        source.upload_file(b"across shares")
        sas = generate_file_sas(ACCOUNT, other.share_name, ["remote.bin"], ACCOUNT_KEY,
                                permission=FileSasPermissions(read=True),
                                expiry=dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1))
        target = share.get_file_client("local.bin")
        assert target.start_copy_from_url(f"{source.url}?{sas}")["copy_status"] == "success"
        assert target.download_file().readall() == b"across shares"
    finally:
        other.delete_share()


def test_copy_from_a_missing_source(share):
    target = share.get_file_client("nothing")
    with azure_error(ResourceNotFoundError, "CannotVerifyCopySource", 404):
        target.start_copy_from_url(share.get_file_client("missing").url)


def test_abort_a_finished_copy(share):
    source = share.get_file_client("a")
    source.upload_file(b"abc")
    target = share.get_file_client("b")
    copy_id = target.start_copy_from_url(source.url)["copy_id"]
    with azure_error(ResourceExistsError, "NoPendingCopyOperation", 409):
        target.abort_copy(copy_id)
