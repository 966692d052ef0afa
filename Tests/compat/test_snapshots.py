"""Share snapshots: create, list, read at a snapshot, diff ranges, delete."""

import datetime as dt

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.storage.fileshare import ShareClient, ShareFileClient

from compat_helpers import KiB, azure_error, merged, pattern


def test_create_and_list_snapshots(service, share):
    first = share.create_snapshot(metadata={"tag": "one"})
    second = share.create_snapshot()
    for snap in (first, second):
        assert snap["snapshot"]
        # The service's format: a UTC time with seven fractional digits.
        dt.datetime.strptime(snap["snapshot"][:26], "%Y-%m-%dT%H:%M:%S.%f")
        assert snap["snapshot"].endswith("Z") and len(snap["snapshot"]) == 28
    assert first["snapshot"] < second["snapshot"]

    # Azure lists a share's snapshots, oldest first, before the share itself (see the sample
    # response of List Shares in the REST reference).
    listed = list(service.list_shares(name_starts_with=share.share_name, include_snapshots=True, include_metadata=True))
    assert [(s.name, s.snapshot) for s in listed] == [
        (share.share_name, first["snapshot"]), (share.share_name, second["snapshot"]), (share.share_name, None)]
    assert listed[0].metadata == {"tag": "one"}
    assert [s.snapshot for s in service.list_shares(name_starts_with=share.share_name)] == [None]

    snapshot_client = service.get_share_client(share.share_name, snapshot=first["snapshot"])
    assert snapshot_client.get_share_properties().snapshot == first["snapshot"]


def test_read_a_file_at_a_snapshot(conn_str, share):
    directory = share.create_directory("dir")
    file = directory.upload_file("doc.txt", b"version one", metadata={"v": "1"})
    snap = share.create_snapshot()["snapshot"]

    file.upload_file(b"version two, longer", metadata={"v": "2"})
    directory.upload_file("new.txt", b"born after the snapshot")

    old = ShareFileClient.from_connection_string(conn_str, share.share_name, "dir/doc.txt", snapshot=snap)
    assert old.download_file().readall() == b"version one"
    assert old.get_file_properties().metadata == {"v": "1"}
    assert old.get_file_properties().size == len(b"version one")
    assert file.download_file().readall() == b"version two, longer"

    at_snapshot = ShareClient.from_connection_string(conn_str, share.share_name, snapshot=snap)
    assert [e["name"] for e in at_snapshot.get_directory_client("dir").list_directories_and_files()] == ["doc.txt"]
    with azure_error(ResourceNotFoundError, "ResourceNotFound", 404):
        at_snapshot.get_file_client("dir/new.txt").get_file_properties()

    file.delete_file()
    assert old.download_file().readall() == b"version one"


def test_a_snapshot_is_read_only(conn_str, share):
    share.get_file_client("f").upload_file(b"abc")
    snap = share.create_snapshot()["snapshot"]
    old = ShareFileClient.from_connection_string(conn_str, share.share_name, "f", snapshot=snap)
    with pytest.raises(HttpResponseError) as info:
        old.upload_range(b"x" * 512, offset=0, length=512)
    assert info.value.status_code == 400
    assert share.get_file_client("f").download_file().readall() == b"abc"


def test_ranges_at_a_snapshot_and_ranges_diff(conn_str, share):
    file = share.get_file_client("diff.bin")
    file.create_file(64 * KiB)
    file.upload_range(pattern(8 * KiB, 1), offset=0, length=8 * KiB)
    file.upload_range(pattern(8 * KiB, 2), offset=32 * KiB, length=8 * KiB)
    snap = share.create_snapshot()["snapshot"]

    file.upload_range(pattern(4 * KiB, 3), offset=16 * KiB, length=4 * KiB)
    file.clear_range(offset=32 * KiB, length=8 * KiB)

    old = ShareFileClient.from_connection_string(conn_str, share.share_name, "diff.bin", snapshot=snap)
    assert merged(old.get_ranges()) == [(0, 8 * KiB - 1), (32 * KiB, 40 * KiB - 1)]
    assert merged(file.get_ranges()) == [(0, 8 * KiB - 1), (16 * KiB, 20 * KiB - 1)]

    changed, cleared = file.get_ranges_diff(previous_sharesnapshot=snap)
    assert merged(changed) == [(16 * KiB, 20 * KiB - 1)]
    assert merged(cleared) == [(32 * KiB, 40 * KiB - 1)]


def test_delete_one_snapshot(conn_str, service, share):
    first = share.create_snapshot()["snapshot"]
    second = share.create_snapshot()["snapshot"]
    ShareClient.from_connection_string(conn_str, share.share_name, snapshot=first).delete_share()
    snapshots = [s.snapshot for s in service.list_shares(name_starts_with=share.share_name, include_snapshots=True)]
    assert snapshots == [second, None]
    # Versions from 2025-07-05 name the missing snapshot (earlier ones answer ShareNotFound).
    with azure_error(ResourceNotFoundError, "ShareSnapshotNotFound", 404):
        ShareClient.from_connection_string(conn_str, share.share_name, snapshot=first).get_share_properties()


def test_delete_share_with_snapshots_needs_delete_snapshots(service, share):
    share.create_snapshot()
    with azure_error(ResourceExistsError, "ShareHasSnapshots", 409):
        share.delete_share()
    assert share.get_share_properties().name == share.share_name

    share.delete_share(delete_snapshots=True)
    with azure_error(ResourceNotFoundError, "ShareNotFound", 404):
        share.get_share_properties()
    assert list(service.list_shares(name_starts_with=share.share_name, include_snapshots=True)) == []


@pytest.mark.slow
def test_snapshot_count_is_limited_to_200(share):
    for _ in range(200):
        share.create_snapshot()
    with azure_error(ResourceExistsError, "ShareSnapshotCountExceeded", 409):
        share.create_snapshot()
