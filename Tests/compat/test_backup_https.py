"""Backup front over HTTPS (`--tls-cert`/`--tls-key`): the SDK needs no opt-out, trusts the
test certificate with `connection_verify`, and every URL the server hands out is https."""

import pytest
from azure.storage.fileshare import ShareServiceClient
from azure.mgmt.recoveryservicesbackup import RecoveryServicesBackupClient

from backup_helpers import CONTAINER, FABRIC, RESOURCE_GROUP, SUBSCRIPTION, VAULT, StaticToken, item_name, point_name, restore_request
from compat_helpers import ACCOUNT, ACCOUNT_KEY


@pytest.fixture(scope="module")
def tls_server(server_factory):
    return server_factory.start(server_factory.data_dir("backup-tls"), tls=server_factory.certificate())


def test_restore_over_https_with_a_ca_file(tls_server):
    assert tls_server.mgmt_endpoint.startswith("https://")
    files = ShareServiceClient.from_connection_string(
        f"DefaultEndpointsProtocol=https;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};FileEndpoint={tls_server.endpoint};",
        connection_verify=tls_server.ca_file)
    share = files.create_share("tlsshare")
    share.get_file_client("f.txt").upload_file(b"before")
    snapshot = share.create_snapshot()["snapshot"]
    share.get_file_client("f.txt").upload_file(b"after")

    client = RecoveryServicesBackupClient(StaticToken(tls_server.admin_token), SUBSCRIPTION, base_url=tls_server.mgmt_endpoint,
                                          retry_total=0, connection_verify=tls_server.ca_file)
    point = list(client.recovery_points.list(VAULT, RESOURCE_GROUP, FABRIC, CONTAINER, item_name("tlsshare")))[0]
    assert point.name == point_name(snapshot)
    assert point.properties.file_share_snapshot_uri.startswith(f"https://127.0.0.1:{tls_server.port}/")
    seen = {}
    poller = client.restores.begin_trigger(
        VAULT, RESOURCE_GROUP, FABRIC, CONTAINER, item_name("tlsshare"), point.name,
        restore_request(recoveryType="OriginalLocation", copyOptions="Overwrite"),
        raw_response_hook=lambda r: seen.setdefault("headers", dict(r.http_response.headers)))
    poller.result(timeout=30)
    assert poller.done()
    assert seen["headers"]["Location"].startswith(tls_server.mgmt_endpoint + "/")
    assert seen["headers"]["Azure-AsyncOperation"].startswith(tls_server.mgmt_endpoint + "/")
    assert share.get_file_client("f.txt").download_file().readall() == b"before"
