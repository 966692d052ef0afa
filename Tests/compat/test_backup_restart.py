"""Backup front: jobs, policies, protection and schedules survive `sharecore serve` being
stopped and started; a scheduled time missed while it was down is taken once at start."""

import time
from datetime import datetime, timedelta, timezone

from azure.storage.fileshare import ShareServiceClient

from backup_helpers import (CONTAINER, FABRIC, RESOURCE_GROUP, VAULT, VAULT_PATH, admin_token, backup_client, item_name,
                            point_name, restore_request, run_restore)
from compat_helpers import connection_string


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

