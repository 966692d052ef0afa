"""Backup front: recovery points and restores through the real azure-mgmt-recoveryservicesbackup
SDK (over http with the SDK's opt-out), files checked through azure-storage-file-share."""

import pytest
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceNotFoundError
from azure.storage.fileshare import ShareClient

from backup_helpers import (ACCOUNT_ID, CONTAINER, FABRIC, RESOURCE_GROUP, VAULT, admin_token, backup_client, item_name,
                            point_name, restore_request, run_restore)
from compat_helpers import unique_name


@pytest.fixture(scope="module")
def mgmt(server):
    return backup_client(server.mgmt_endpoint, admin_token(server.data_dir))


def upload(share: ShareClient, path: str, data: bytes):
    parts = path.split("/")
    for i in range(1, len(parts)):
        try:
            share.get_directory_client("/".join(parts[:i])).create_directory()
        except Exception:
            pass
    share.get_file_client(path).upload_file(data)


def download(share: ShareClient, path: str) -> bytes:
    return share.get_file_client(path).download_file().readall()


def tree(share: ShareClient, path: str = "") -> dict:
    """Every file below `path`, path → bytes."""
    out = {}
    for entry in share.get_directory_client(path).list_directories_and_files():
        full = f"{path}/{entry['name']}" if path else entry["name"]
        if entry["is_directory"]:
            out.update(tree(share, full))
        else:
            out[full] = download(share, full)
    return out


@pytest.fixture
def backed_up(service, share):
    """A share with files, a snapshot of it, then changes: a.txt rewritten, docs/b.txt deleted,
    new.txt created. Yields (share client, snapshot client, recovery point name)."""
    upload(share, "a.txt", b"a before")
    upload(share, "docs/b.txt", b"b before")
    upload(share, "docs/deep/c.txt", b"c before" * 1000)
    snapshot = share.create_snapshot()["snapshot"]
    upload(share, "a.txt", b"a after, longer")
    share.get_file_client("docs/b.txt").delete_file()
    upload(share, "new.txt", b"created after the snapshot")
    yield share, service.get_share_client(share.share_name, snapshot=snapshot), point_name(snapshot)


def test_seed_flow_full_share_restore_to_original_location(mgmt, backed_up):
    share, snapshot, _ = backed_up
    points = list(mgmt.recovery_points.list(VAULT, RESOURCE_GROUP, FABRIC, CONTAINER, item_name(share.share_name)))
    assert len(points) == 1
    point = points[0]
    assert point.properties.object_type == "AzureFileShareRecoveryPoint"
    assert point.properties.file_share_snapshot_uri.endswith(f"/{share.share_name}?sharesnapshot={snapshot.snapshot}")
    got = mgmt.recovery_points.get(VAULT, RESOURCE_GROUP, FABRIC, CONTAINER, item_name(share.share_name), point.name)
    assert got.name == point.name

    error, status, job = run_restore(mgmt, share.share_name, point.name, restore_request(
        recoveryType="OriginalLocation", sourceResourceId=ACCOUNT_ID, copyOptions="Overwrite", restoreRequestType="FullShareRestore"))
    assert error is None
    assert status.status == "Succeeded"
    assert job.properties.status == "Completed"
    assert job.properties.operation == "Restore"
    bag = job.properties.extended_info.property_bag
    assert bag["Number Of Restored Files"] == "3"
    restored = tree(share)
    assert restored.pop("new.txt") == b"created after the snapshot", "files made after the snapshot survive"
    assert restored == tree(snapshot), "the share holds the snapshot's bytes again"


def test_alternate_location_full_share_into_a_folder(mgmt, service, backed_up):
    share, snapshot, point = backed_up
    target = service.create_share(unique_name("target"))
    try:
        error, _, job = run_restore(mgmt, share.share_name, point, restore_request(
            recoveryType="AlternateLocation", copyOptions="Overwrite", restoreRequestType="FullShareRestore",
            restoreFileSpecs=[{"targetFolderPath": "restoredata"}],
            targetDetails={"name": target.share_name, "targetResourceId": ACCOUNT_ID}))
        assert error is None and job.properties.status == "Completed"
        assert job.properties.extended_info.property_bag["RestoreDestination"] == f"devstoreaccount1/{target.share_name}/restoredata"
        assert tree(target, "restoredata") == {f"restoredata/{p}": b for p, b in tree(snapshot).items()}
    finally:
        target.delete_share()


def test_item_level_restores_of_a_file_and_a_directory(mgmt, service, backed_up):
    share, _, point = backed_up
    error, _, job = run_restore(mgmt, share.share_name, point, restore_request(
        recoveryType="OriginalLocation", copyOptions="Overwrite", restoreRequestType="ItemLevelRestore",
        restoreFileSpecs=[{"path": "docs/b.txt", "fileSpecType": "File", "targetFolderPath": None}], targetDetails=None))
    assert error is None and job.properties.status == "Completed"
    assert download(share, "docs/b.txt") == b"b before", "a file deleted after the snapshot comes back"
    assert download(share, "a.txt") == b"a after, longer", "only the selected item is restored"

    target = service.create_share(unique_name("target"))
    try:
        error, _, job = run_restore(mgmt, share.share_name, point, restore_request(
            recoveryType="AlternateLocation", copyOptions="Overwrite", restoreRequestType="ItemLevelRestore",
            restoreFileSpecs=[{"path": "docs", "fileSpecType": "Directory", "targetFolderPath": "out"}],
            targetDetails={"name": target.share_name}))
        assert error is None and job.properties.status == "Completed"
        assert tree(target) == {"out/docs/b.txt": b"b before", "out/docs/deep/c.txt": b"c before" * 1000}
    finally:
        target.delete_share()


def test_copy_options(mgmt, backed_up):
    share, snapshot, point = backed_up
    before = tree(share)
    error, status, job = run_restore(mgmt, share.share_name, point, restore_request(
        recoveryType="OriginalLocation", copyOptions="FailOnConflict"))
    assert isinstance(error, HttpResponseError)
    assert status.status == "Failed" and status.error.code == "DataTransferServiceAllFilesFailedToRecover"
    assert job.properties.status == "Failed"
    assert tree(share) == before, "FailOnConflict that finds a conflict changes nothing (docs/b.txt stays deleted)"

    error, _, job = run_restore(mgmt, share.share_name, point, restore_request(recoveryType="OriginalLocation", copyOptions="Skip"))
    assert error is None
    bag = job.properties.extended_info.property_bag
    assert (bag["Number Of Restored Files"], bag["Number Of Skipped Files"]) == ("1", "2")
    assert download(share, "a.txt") == b"a after, longer"
    assert download(share, "docs/b.txt") == b"b before"

    error, _, job = run_restore(mgmt, share.share_name, point, restore_request(recoveryType="OriginalLocation", copyOptions="Overwrite"))
    assert error is None and job.properties.extended_info.property_bag["Number Of Restored Files"] == "3"
    assert download(share, "a.txt") == b"a before"
    assert download(share, "new.txt") == b"created after the snapshot"


def test_jobs_list_filter_and_cancel(mgmt, backed_up):
    share, _, point = backed_up
    _, _, job = run_restore(mgmt, share.share_name, point, restore_request(recoveryType="OriginalLocation", copyOptions="Skip"))
    listed = list(mgmt.backup_jobs.list(VAULT, RESOURCE_GROUP, filter="operation eq 'Restore' and status eq 'Completed'"))
    assert job.name in [j.name for j in listed]
    assert all(j.properties.operation == "Restore" for j in listed)
    assert not [j for j in mgmt.backup_jobs.list(VAULT, RESOURCE_GROUP, filter="status eq 'Cancelling'")]
    with pytest.raises(HttpResponseError) as bad:
        list(mgmt.backup_jobs.list(VAULT, RESOURCE_GROUP, filter="status eq 'Sleeping'"))
    assert bad.value.status_code == 400 and bad.value.error.code == "BMSUserErrorInvalidInput"
    # Cancelling a finished job leaves it as it was.
    mgmt.job_cancellations.trigger(VAULT, RESOURCE_GROUP, job.name)
    assert mgmt.job_details.get(VAULT, RESOURCE_GROUP, job.name).properties.status == "Completed"
    with pytest.raises(ResourceNotFoundError):
        mgmt.job_details.get(VAULT, RESOURCE_GROUP, "00000000-0000-0000-0000-000000000000")


def expect_error(status: int, code: str, call):
    with pytest.raises(HttpResponseError) as raised:
        call()
    assert raised.value.status_code == status, raised.value
    assert raised.value.error.code == code, raised.value


def test_error_cases_change_nothing_and_make_no_job(mgmt, service, backed_up, server):
    share, _, point = backed_up
    name = share.share_name
    before = tree(share)
    jobs_before = len(list(mgmt.backup_jobs.list(VAULT, RESOURCE_GROUP)))
    other = service.create_share(unique_name("other"))
    other.get_file_client("file").upload_file(b"f")
    try:
        def restore(body, share_name=name, rp=point, container=CONTAINER):
            return lambda: mgmt.restores.begin_trigger(VAULT, RESOURCE_GROUP, FABRIC, container, item_name(share_name), rp, body).result()

        ok = dict(recoveryType="OriginalLocation", copyOptions="Overwrite")
        expect_error(404, "BMSUserErrorDataSourceObjectNotFound", restore(restore_request(**ok), share_name="nosuchshare"))
        expect_error(404, "BMSUserErrorDataSourceObjectNotFound",
                     restore(restore_request(**ok), container="StorageContainer;storage;rg;otheraccount"))
        expect_error(404, "UserErrorAFSSourceSnapshotNotFound", restore(restore_request(**ok), rp="12345"))
        expect_error(400, "InvalidRequestContent", restore(b"{not json"))
        expect_error(400, "BMSUserErrorInvalidInput", restore({"properties": dict(ok, objectType="AzureWorkloadRestoreRequest")}))
        expect_error(400, "BMSUserErrorInvalidInput", restore(restore_request(recoveryType="OriginalLocation", copyOptions="CreateCopy")))
        expect_error(400, "BMSUserErrorInvalidInput", restore(restore_request(
            **ok, restoreFileSpecs=[{"path": "docs/../../etc", "fileSpecType": "Directory"}])))
        expect_error(400, "BMSUserErrorInvalidInput", restore(restore_request(
            **ok, restoreFileSpecs=[{"path": "docs//b.txt", "fileSpecType": "File"}])))
        expect_error(400, "DataTransferServiceSourceUriNotValid", restore(restore_request(
            **ok, restoreFileSpecs=[{"path": "new.txt", "fileSpecType": "File"}])))
        expect_error(400, "DataTransferServiceSourceUriNotValid", restore(restore_request(
            **ok, restoreFileSpecs=[{"path": "docs", "fileSpecType": "File"}])))
        alt = dict(recoveryType="AlternateLocation", copyOptions="Overwrite")
        expect_error(400, "TargetFileShareNotFound", restore(restore_request(**alt, targetDetails={"name": "absentshare"})))
        expect_error(400, "BMSUserErrorInvalidInput", restore(restore_request(**alt, targetDetails={"name": "Bad_Share!"})))
        expect_error(400, "BMSUserErrorInvalidInput", restore(restore_request(
            **alt, targetDetails={"name": other.share_name}, restoreFileSpecs=[{"targetFolderPath": "file/below"}])))
        expect_error(400, "BMSUserErrorInvalidInput", restore(restore_request(
            **alt, targetDetails={"name": other.share_name, "targetResourceId": ACCOUNT_ID.replace("devstoreaccount1", "elsewhere")})))
        assert tree(share) == before
        assert tree(other) == {"file": b"f"}
        assert len(list(mgmt.backup_jobs.list(VAULT, RESOURCE_GROUP))) == jobs_before, "rejected requests create no job"

        wrong = backup_client(server.mgmt_endpoint, "not-the-token")
        with pytest.raises(ClientAuthenticationError) as denied:
            list(wrong.recovery_points.list(VAULT, RESOURCE_GROUP, FABRIC, CONTAINER, item_name(name)))
        assert denied.value.status_code == 401
    finally:
        other.delete_share()
