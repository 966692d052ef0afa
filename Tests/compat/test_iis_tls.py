"""IIS Files over HTTPS (`--tls-cert`/`--tls-key`): the token, a location, an upload and a
download link, with `requests` trusting the server's self-signed certificate."""

import pytest
import requests

from iis_helpers import IIS


@pytest.fixture(scope="module")
def tls_iis(server_factory):
    cert = server_factory.certificate()
    running = server_factory.start(server_factory.data_dir("iis-tls"), tls=cert)
    client = IIS(running.iis_endpoint, running.admin_token)
    client.verify = running.ca_file
    yield client, running


def test_files_api_over_https(tls_iis):
    iis, running = tls_iis
    assert iis.endpoint.startswith("https://")
    root = iis.add_location("tlsshare", directory="web")
    made = iis.create(root["id"], "a.txt")
    iis.upload(made["id"], b"over tls")
    assert iis.get(f"/api/files/content/{made['id']}").content == b"over tls"
    link = iis.post("/api/files/downloads", json={"file": {"id": made["id"]}, "ttl": 60000}).headers["Location"]
    assert requests.get(iis.url(link), verify=running.ca_file).content == b"over tls"
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(iis.url("/api/files"), timeout=10)
