"""Backup front: jobs, policies, protection and schedules survive `sharecore serve` being
stopped and started; a scheduled time missed while it was down is taken once at start."""

import time
from datetime import datetime, timedelta, timezone

import pytest
from azure.core.exceptions import HttpResponseError
from azure.storage.fileshare import ShareServiceClient

from backup_helpers import (CONTAINER, FABRIC, RESOURCE_GROUP, VAULT, VAULT_PATH, admin_token, backup_client, item_name,
                            point_name, restore_request, run_restore)
from compat_helpers import connection_string, wait_until


def test_jobs_and_schedules_survive_a_restart(server_factory):
    data = server_factory.data_dir("backup-restart")
    first = server_factory.start(data)
    files = ShareServiceClient.from_connection_string(connection_string(first.endpoint))
    share = files.create_share("restartshare")
    share.get_file_client("f.txt").upload_file(b"one")
    snapshot = share.create_snapshot()["snapshot"]
    mgmt = backup_client(first.mgmt_endpoint, admin_token(data))
    _, _, job = run_restore(mgmt, "restartshare", point_name(snapshot), restore_request(recoveryType="OriginalLocation", copyOptions="Overwrite"))
    assert job.properties.status == "Completed"

    at = datetime.now(timezone.utc) + timedelta(seconds=4)
    stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    mgmt.protection_policies.create_or_update(VAULT, RESOURCE_GROUP, "daily", {"properties": {
        "backupManagementType": "AzureStorage", "timeZone": "UTC",
        "schedulePolicy": {"schedulePolicyType": "SimpleSchedulePolicy", "scheduleRunFrequency": "Daily", "scheduleRunTimes": [stamp]},
        "retentionPolicy": {"retentionPolicyType": "LongTermRetentionPolicy",
                            "dailySchedule": {"retentionDuration": {"count": 3, "durationType": "Days"}}}}})
    mgmt.protected_items.begin_create_or_update(VAULT, RESOURCE_GROUP, FABRIC, CONTAINER, item_name("restartshare"), {
        "properties": {"protectedItemType": "AzureFileShareProtectedItem", "policyId": f"{VAULT_PATH}/backupPolicies/daily"}}).result(timeout=30)
    server_factory.stop(first)

    # The scheduled time passes while the server is down.
    time.sleep(max(0.0, (at - datetime.now(timezone.utc)).total_seconds()) + 1.0)
    second = server_factory.start(data)
    mgmt = backup_client(second.mgmt_endpoint, admin_token(data))
    assert mgmt.job_details.get(VAULT, RESOURCE_GROUP, job.name).properties.status == "Completed"
    assert mgmt.protection_policies.get(VAULT, RESOURCE_GROUP, "daily").name == "daily"
    item = mgmt.protected_items.get(VAULT, RESOURCE_GROUP, FABRIC, CONTAINER, item_name("restartshare"))
    assert item.properties.protection_state == "Protected"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        backups = [j for j in mgmt.backup_jobs.list(VAULT, RESOURCE_GROUP, filter="operation eq 'Backup'")]
        if backups:
            break
        time.sleep(0.25)
    assert len(backups) == 1, "the missed run is taken once at start"
    assert backups[0].properties.is_user_triggered is False
    time.sleep(1.5)
    assert len(list(mgmt.backup_jobs.list(VAULT, RESOURCE_GROUP, filter="operation eq 'Backup'"))) == 1
    points = list(mgmt.recovery_points.list(VAULT, RESOURCE_GROUP, FABRIC, CONTAINER, item_name("restartshare")))
    assert len(points) == 2, "the user's snapshot and the catch-up backup"
    server_factory.stop(second)



def test_a_scheduled_point_is_pruned_when_its_retention_ends(server_factory):
    """A policy with a schedule seconds away takes a snapshot; restarted with its clock a day
    and an hour later (`--backup-clock-offset`, test only), the scheduler prunes that point at
    the end of its one-day retention, through the same code path as a real day passing. The
    user's own snapshot is never touched; the daily run missed "meanwhile" is taken once."""
    data = server_factory.data_dir("backup-prune")
    first = server_factory.start(data)
    files = ShareServiceClient.from_connection_string(connection_string(first.endpoint))
    share = files.create_share("pruneshare")
    share.get_file_client("f.txt").upload_file(b"kept by the user")
    user_snapshot = share.create_snapshot()["snapshot"]
    mgmt = backup_client(first.mgmt_endpoint, admin_token(data))
    at = datetime.now(timezone.utc) + timedelta(seconds=3)
    stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    mgmt.protection_policies.create_or_update(VAULT, RESOURCE_GROUP, "oneday", {"properties": {
        "backupManagementType": "AzureStorage", "timeZone": "UTC",
        "schedulePolicy": {"schedulePolicyType": "SimpleSchedulePolicy", "scheduleRunFrequency": "Daily", "scheduleRunTimes": [stamp]},
        "retentionPolicy": {"retentionPolicyType": "LongTermRetentionPolicy",
                            "dailySchedule": {"retentionDuration": {"count": 1, "durationType": "Days"}}}}})
    mgmt.protected_items.begin_create_or_update(VAULT, RESOURCE_GROUP, FABRIC, CONTAINER, item_name("pruneshare"), {
        "properties": {"protectedItemType": "AzureFileShareProtectedItem", "policyId": f"{VAULT_PATH}/backupPolicies/oneday"}}).result(timeout=30)

    def snapshots():
        return sorted(s["snapshot"] for s in files.list_shares(name_starts_with="pruneshare", include_snapshots=True)
                      if s["name"] == "pruneshare" and s["snapshot"])

    wait_until(lambda: len(snapshots()) == 2, "the scheduled backup")
    scheduled = [s for s in snapshots() if s != user_snapshot][0]
    points = {p.name: p for p in mgmt.recovery_points.list(VAULT, RESOURCE_GROUP, FABRIC, CONTAINER, item_name("pruneshare"))}
    expiry = points[point_name(scheduled)].properties.recovery_point_properties.expiry_time
    assert expiry is not None, "the vault's point carries its retention's end"
    assert points[point_name(user_snapshot)].properties.recovery_point_properties is None or \
        points[point_name(user_snapshot)].properties.recovery_point_properties.expiry_time is None
    server_factory.stop(first)

    # Retention is at least a day on the wire (Azure's rule, kept): the clock moves instead.
    second = server_factory.start(data, extra_args=["--backup-clock-offset", str(25 * 3600)])
    files = ShareServiceClient.from_connection_string(connection_string(second.endpoint))
    mgmt = backup_client(second.mgmt_endpoint, admin_token(data))
    wait_until(lambda: scheduled not in snapshots(), "pruning of the point whose retention ended")
    assert user_snapshot in snapshots(), "a snapshot the vault did not take is never pruned"
    names = [p.name for p in mgmt.recovery_points.list(VAULT, RESOURCE_GROUP, FABRIC, CONTAINER, item_name("pruneshare"))]
    assert point_name(scheduled) not in names and point_name(user_snapshot) in names
    # The daily time missed while the clock moved is taken once, with a fresh day of retention.
    wait_until(lambda: len(snapshots()) == 2, "the catch-up backup")
    backups = list(mgmt.backup_jobs.list(VAULT, RESOURCE_GROUP, filter="operation eq 'Backup'"))
    assert len(backups) == 2 and all(j.properties.is_user_triggered is False for j in backups)
    with pytest.raises(HttpResponseError) as refused:
        mgmt.protection_policies.create_or_update(VAULT, RESOURCE_GROUP, "subday", {"properties": {
            "backupManagementType": "AzureStorage", "timeZone": "UTC",
            "schedulePolicy": {"schedulePolicyType": "SimpleSchedulePolicy", "scheduleRunFrequency": "Daily", "scheduleRunTimes": [stamp]},
            "retentionPolicy": {"retentionPolicyType": "LongTermRetentionPolicy",
                                "dailySchedule": {"retentionDuration": {"count": 0, "durationType": "Days"}}}}})
    assert refused.value.status_code == 400, "sub-day retention stays refused, whatever the clock"
    server_factory.stop(second)
