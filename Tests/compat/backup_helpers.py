"""Helpers of the Backup front's compatibility tests (test_backup_*.py): the real
azure-mgmt-recoveryservicesbackup client pointed at `sharecore serve --mgmt-port`."""

import time
from pathlib import Path

from azure.core.credentials import AccessToken
from azure.core.pipeline.policies import SansIOHTTPPolicy
from azure.mgmt.recoveryservicesbackup import RecoveryServicesBackupClient

from compat_helpers import ACCOUNT

SUBSCRIPTION = "ef4ab5a7-c2c0-4304-af80-af49f48af3d1"
RESOURCE_GROUP = "azurefiles"
VAULT = "azurefilesvault"
FABRIC = "Azure"
CONTAINER = f"StorageContainer;storage;{RESOURCE_GROUP};{ACCOUNT}"
ACCOUNT_ID = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}/providers/Microsoft.Storage/storageAccounts/{ACCOUNT}"
VAULT_PATH = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}/providers/Microsoft.RecoveryServices/vaults/{VAULT}"


class StaticToken:
    """A credential handing out the server's admin token (azure-identity is not needed)."""

    def __init__(self, token: str):
        self.token = token

    def get_token(self, *scopes, **kwargs) -> AccessToken:
        return AccessToken(self.token, int(time.time()) + 3600)


class AllowPlainHttp(SansIOHTTPPolicy):
    """Lets the bearer policy send the token over http (per request, LRO polls included)."""

    def on_request(self, request):
        request.context.options.setdefault("enforce_https", False)


def admin_token(data_dir: str) -> str:
    """The token `sharecore serve` generated into DATA/admin-token."""
    return Path(data_dir, "admin-token").read_text().strip()


def backup_client(endpoint: str, token: str, **kwargs) -> RecoveryServicesBackupClient:
    """The SDK client over http (with the opt-out), no retries."""
    return RecoveryServicesBackupClient(StaticToken(token), SUBSCRIPTION, base_url=endpoint, retry_total=0,
                                        per_call_policies=[AllowPlainHttp()], **kwargs)


def item_name(share: str) -> str:
    return f"AzureFileShare;{share}"


def point_name(snapshot: str) -> str:
    """The recovery point name of a share snapshot timestamp: 100-ns ticks since 1970."""
    from datetime import datetime, timezone
    base, _, fraction = snapshot.rstrip("Z").partition(".")
    seconds = int(datetime.strptime(base, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc).timestamp())
    return str(seconds * 10_000_000 + int((fraction + "0000000")[:7]))


def restore_request(**properties) -> dict:
    """A RestoreRequestResource body as JSON (what the SDK would serialize)."""
    body = {"objectType": "AzureFileShareRestoreRequest"}
    body.update(properties)
    return {"properties": body}


def run_restore(client, share: str, point: str, body: dict):
    """Triggers a restore, waits with the SDK's poller, returns (poller, job) — the job read
    through backup_operation_statuses + job_details as the docs do."""
    captured = {}

    def hook(response):
        captured.setdefault("async", response.http_response.headers.get("Azure-AsyncOperation"))

    poller = client.restores.begin_trigger(VAULT, RESOURCE_GROUP, FABRIC, CONTAINER, item_name(share), point, body,
                                           raw_response_hook=hook)
    error = None
    try:
        poller.result(timeout=30)
    except Exception as exc:  # the poller raises on Failed; the job says why
        error = exc
    assert poller.done(), "the restore did not finish within 30 s"
    operation_id = captured["async"].split("?")[0].rsplit("/", 1)[1]
    status = client.backup_operation_statuses.get(VAULT, RESOURCE_GROUP, operation_id)
    job = client.job_details.get(VAULT, RESOURCE_GROUP, status.properties.job_id)
    return error, status, job
