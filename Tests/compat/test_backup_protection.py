"""Backup front: policies, protection, on-demand backup and policies that really run, through
the real azure-mgmt-recoveryservicesbackup SDK."""

import time
from datetime import datetime, timedelta, timezone

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from backup_helpers import (ACCOUNT_ID, CONTAINER, FABRIC, RESOURCE_GROUP, VAULT, VAULT_PATH, admin_token, backup_client,
                            item_name)
from compat_helpers import unique_name


@pytest.fixture(scope="module")
def mgmt(server):
    return backup_client(server.mgmt_endpoint, admin_token(server.data_dir))


def daily_policy(at: datetime, days: int = 5) -> dict:
    stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"properties": {
        "backupManagementType": "AzureStorage", "workLoadType": "AzureFileShare", "timeZone": "UTC",
        "schedulePolicy": {"schedulePolicyType": "SimpleSchedulePolicy", "scheduleRunFrequency": "Daily", "scheduleRunTimes": [stamp]},
        "retentionPolicy": {"retentionPolicyType": "LongTermRetentionPolicy",
                            "dailySchedule": {"retentionTimes": [stamp], "retentionDuration": {"count": days, "durationType": "Days"}}},
    }}


def protect(mgmt, share: str, policy: str):
    return mgmt.protected_items.begin_create_or_update(VAULT, RESOURCE_GROUP, FABRIC, CONTAINER, item_name(share), {
        "properties": {"protectedItemType": "AzureFileShareProtectedItem", "policyId": f"{VAULT_PATH}/backupPolicies/{policy}",
                       "sourceResourceId": ACCOUNT_ID}}).result(timeout=30)


def wait_for(predicate, timeout=20.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    pytest.fail(f"{what} not reached within {timeout} s")


def test_policy_crud_and_validation(mgmt):
    name = unique_name("pol")
    created = mgmt.protection_policies.create_or_update(VAULT, RESOURCE_GROUP, name, daily_policy(datetime(2021, 9, 29, 8)))
    assert created.name == name and created.properties.backup_management_type == "AzureStorage"
    assert created.properties.schedule_policy.schedule_run_frequency == "Daily"
    assert mgmt.protection_policies.get(VAULT, RESOURCE_GROUP, name.upper()).name == name
    assert name in [p.name for p in mgmt.backup_policies.list(VAULT, RESOURCE_GROUP, filter="backupManagementType eq 'AzureStorage'")]
    with pytest.raises(HttpResponseError) as bad:
        mgmt.protection_policies.create_or_update(VAULT, RESOURCE_GROUP, "bad", daily_policy(datetime(2021, 9, 29, 8), days=999))
    assert bad.value.status_code == 400 and bad.value.error.code == "BMSUserErrorInvalidPolicyInput"
    mgmt.protection_policies.begin_delete(VAULT, RESOURCE_GROUP, name).result(timeout=30)
    with pytest.raises(ResourceNotFoundError):
        mgmt.protection_policies.get(VAULT, RESOURCE_GROUP, name)


def test_containers_and_protectable_items(mgmt, share):
    containers = list(mgmt.protectable_containers.list(VAULT, RESOURCE_GROUP, FABRIC, filter="backupManagementType eq 'AzureStorage'"))
    assert [c.name for c in containers] == [CONTAINER]
    registered = mgmt.protection_containers.begin_register(VAULT, RESOURCE_GROUP, FABRIC, CONTAINER, {
        "properties": {"containerType": "StorageContainer", "backupManagementType": "AzureStorage",
                       "sourceResourceId": ACCOUNT_ID}}).result(timeout=30)
    assert registered.properties.registration_status == "Registered"
    assert mgmt.protection_containers.get(VAULT, RESOURCE_GROUP, FABRIC, CONTAINER).name == CONTAINER
    items = list(mgmt.backup_protectable_items.list(
        VAULT, RESOURCE_GROUP, filter="backupManagementType eq 'AzureStorage' and workloadType eq 'AzureFileShare'"))
    assert item_name(share.share_name) in [i.name for i in items]


def test_on_demand_backup_and_its_expiry_prunes_only_the_vaults_snapshot(mgmt, share):
    policy = unique_name("pol")
    mgmt.protection_policies.create_or_update(VAULT, RESOURCE_GROUP, policy, daily_policy(datetime(2021, 9, 29, 3)))
    item = protect(mgmt, share.share_name, policy)
    assert item.properties.protection_state == "Protected"
    assert item.properties.policy_name == policy
    user_snapshot = share.create_snapshot()["snapshot"]

    expiry = datetime.now(timezone.utc) + timedelta(seconds=4)
    headers = mgmt.backups.trigger(VAULT, RESOURCE_GROUP, FABRIC, CONTAINER, item_name(share.share_name), {
        "properties": {"objectType": "AzureFileShareBackupRequest",
                       "recoveryPointExpiryTimeInUTC": expiry.strftime("%Y-%m-%dT%H:%M:%SZ")}},
        cls=lambda response, body, headers: response.http_response.headers)
    operation = headers["Azure-AsyncOperation"].split("?")[0].rsplit("/", 1)[1]
    status = wait_for(lambda: (s := mgmt.backup_operation_statuses.get(VAULT, RESOURCE_GROUP, operation)).status != "InProgress" and s,
                      what="backup operation")
    assert status.status == "Succeeded"
    job = mgmt.job_details.get(VAULT, RESOURCE_GROUP, status.properties.job_id)
    assert job.properties.operation == "Backup" and job.properties.status == "Completed" and job.properties.is_user_triggered
    points = list(mgmt.recovery_points.list(VAULT, RESOURCE_GROUP, FABRIC, CONTAINER, item_name(share.share_name)))
    assert len(points) == 2
    vault_points = [p for p in points if p.properties.recovery_point_properties]
    assert len(vault_points) == 1
    with pytest.raises(HttpResponseError) as past:
        mgmt.backups.trigger(VAULT, RESOURCE_GROUP, FABRIC, CONTAINER, item_name(share.share_name), {
            "properties": {"objectType": "AzureFileShareBackupRequest", "recoveryPointExpiryTimeInUTC": "2001-01-01T00:00:00Z"}})
    assert past.value.status_code == 400

    # When its expiry passes, the vault's snapshot is deleted; the user's snapshot stays.
    wait_for(lambda: [s["snapshot"] for s in share_snapshots(share)] == [user_snapshot], what="pruning of the expired point")
    mgmt.protected_items.delete(VAULT, RESOURCE_GROUP, FABRIC, CONTAINER, item_name(share.share_name))
    with pytest.raises(HttpResponseError) as gone:
        mgmt.protected_items.get(VAULT, RESOURCE_GROUP, FABRIC, CONTAINER, item_name(share.share_name))
    assert gone.value.status_code == 404


def share_snapshots(share):
    from azure.storage.fileshare import ShareServiceClient
    service = ShareServiceClient(share.url.split(f"/{share.share_name}")[0], credential=share.credential)
    return [s for s in service.list_shares(name_starts_with=share.share_name, include_snapshots=True)
            if s["name"] == share.share_name and s["snapshot"]]


def test_policy_schedule_seconds_away_takes_snapshots(mgmt, share):
    policy = unique_name("pol")
    at = datetime.now(timezone.utc) + timedelta(seconds=3)
    mgmt.protection_policies.create_or_update(VAULT, RESOURCE_GROUP, policy, daily_policy(at, days=1))
    protect(mgmt, share.share_name, policy)
    assert share_snapshots(share) == [], "protecting takes no backup"
    wait_for(lambda: len(share_snapshots(share)) == 1, what="the scheduled backup")
    item = mgmt.protected_items.get(VAULT, RESOURCE_GROUP, FABRIC, CONTAINER, item_name(share.share_name))
    assert item.properties.last_backup_status == "Completed"
    jobs = list(mgmt.backup_jobs.list(VAULT, RESOURCE_GROUP, filter="operation eq 'Backup'"))
    scheduled = [j for j in jobs if j.properties.entity_friendly_name == share.share_name]
    assert len(scheduled) == 1 and scheduled[0].properties.is_user_triggered is False
    point = [p for p in mgmt.recovery_points.list(VAULT, RESOURCE_GROUP, FABRIC, CONTAINER, item_name(share.share_name))][0]
    expiry = point.properties.recovery_point_properties.expiry_time  # the model keeps it as text
    expiry = datetime.strptime(expiry[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    assert expiry is not None and timedelta(hours=23) < expiry - point.properties.recovery_point_time < timedelta(hours=25), \
        "a scheduled point carries its retention's expiry (1 day)"
    # Stop protection, keeping the data: no more backups, the point stays.
    mgmt.protected_items.begin_create_or_update(VAULT, RESOURCE_GROUP, FABRIC, CONTAINER, item_name(share.share_name), {
        "properties": {"protectedItemType": "AzureFileShareProtectedItem", "policyId": "",
                       "protectionState": "ProtectionStopped"}}).result(timeout=30)
    assert len(share_snapshots(share)) == 1
