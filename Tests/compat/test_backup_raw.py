"""Backup front: the seed's exact requests (restore-azure-file-share-rest-api.md) over raw HTTP
with `requests`: `/Subscriptions/…`, raw `;` and `%3B`, api-versions 2019-05-13 and 2016-12-01."""

import time

import requests

from backup_helpers import SUBSCRIPTION, admin_token, point_name
from compat_helpers import unique_name


def test_seed_requests_as_written(server, service):
    token = admin_token(server.data_dir)
    auth = {"Authorization": f"Bearer {token}", "x-ms-client-request-id": "4edb5a58-47ea-11ea-a27a-0a580af41908"}
    name = unique_name("azurefiles")
    share = service.create_share(name)
    try:
        share.get_file_client("RestoreTest.txt").upload_file(b"restore me")
        snapshot = share.create_snapshot()["snapshot"]
        share.get_file_client("RestoreTest.txt").delete_file()
        base = f"{server.mgmt_endpoint}/Subscriptions/{SUBSCRIPTION}/resourceGroups/azurefiles/providers/Microsoft.RecoveryServices/vaults/azurefilesvault"
        item = f"{base}/backupFabrics/Azure/protectionContainers/StorageContainer;storage;azurefiles;devstoreaccount1/protectedItems/AzureFileShare;{name}"

        listed = requests.get(f"{item}/recoveryPoints?api-version=2019-05-13", headers=auth, timeout=10)
        assert listed.status_code == 200
        assert listed.headers["Content-Type"] == "application/json; charset=utf-8"
        assert listed.headers["x-ms-client-request-id"] == auth["x-ms-client-request-id"]
        assert listed.headers["x-ms-request-id"] and listed.headers["Cache-Control"] == "no-cache"
        point = listed.json()["value"][0]
        assert point["name"] == point_name(snapshot)
        assert point["properties"]["recoveryPointTime"] == snapshot
        assert point["properties"]["recoveryPointSizeInGB"] >= 0

        # The seed's POST: `AzureFileShare%3B{share}`, body as in the doc.
        encoded = item.replace(f"AzureFileShare;{name}", f"AzureFileShare%3B{name}")
        body = {"properties": {"objectType": "AzureFileShareRestoreRequest", "copyOptions": "Overwrite",
                               "recoveryType": "OriginalLocation",
                               "restoreFileSpecs": [{"fileSpecType": "File", "path": "RestoreTest.txt", "targetFolderPath": None}],
                               "restoreRequestType": "ItemLevelRestore",
                               "sourceResourceId": f"/subscriptions/{SUBSCRIPTION}/resourceGroups/azurefiles/providers/Microsoft.storage/storageAccounts/devstoreaccount1",
                               "targetDetails": None}}
        accepted = requests.post(f"{encoded}/recoveryPoints/{point['name']}/restore?api-version=2019-05-13", json=body, headers=auth, timeout=10)
        assert accepted.status_code == 202, accepted.text
        assert accepted.content == b""
        assert accepted.headers["Retry-After"] == "1"
        assert accepted.headers["Location"].startswith(f"{server.mgmt_endpoint}/subscriptions/")
        assert "/operationResults/" in accepted.headers["Location"] and accepted.headers["Location"].endswith("?api-version=2019-05-13")
        operation = accepted.headers["Azure-AsyncOperation"].split("?")[0].rsplit("/", 1)[1]

        # The seed polls the vault-level backupOperations with 2016-12-01 and reads the job id.
        for _ in range(100):
            status = requests.get(f"{base}/backupOperations/{operation}?api-version=2016-12-01", headers=auth, timeout=10)
            assert status.status_code == 200
            if status.json()["status"] != "InProgress":
                break
            time.sleep(0.1)
        assert status.json()["status"] == "Succeeded"
        job_id = status.json()["properties"]["jobId"]
        job = requests.get(f"{base}/backupJobs/{job_id}?api-version=2019-05-13", headers=auth, timeout=10).json()
        assert job["properties"]["status"] == "Completed"
        assert job["properties"]["activityId"] == auth["x-ms-client-request-id"]
        assert share.get_file_client("RestoreTest.txt").download_file().readall() == b"restore me"

        # The Location ends with 204.
        assert requests.get(accepted.headers["Location"], headers=auth, timeout=10).status_code == 204

        # No token: 401 with the ARM body and WWW-Authenticate.
        denied = requests.get(f"{item}/recoveryPoints?api-version=2019-05-13", timeout=10)
        assert denied.status_code == 401
        assert denied.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')
        assert denied.json()["error"]["code"] == "AuthenticationFailed"
        missing = requests.get(f"{item}/recoveryPoints", headers=auth, timeout=10)
        assert missing.status_code == 400 and missing.json()["error"]["code"] == "MissingApiVersionParameter"
    finally:
        share.delete_share(delete_snapshots=True)
