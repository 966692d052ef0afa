"""IIS Files front across protocols: written through /api/files then read through the Azure
SDK and S3, and the reverse, byte for byte with timestamps; hidden items stay out of listings;
copies made here are seen by the other doors."""

import datetime as dt

import pytest
from azure.storage.fileshare import ContentSettings, NTFSAttributes

from compat_helpers import MiB, pattern, unique_name
from iis_helpers import HAL, IIS


@pytest.fixture(scope="module")
def iis(server):
    return IIS(server.iis_endpoint, server.admin_token)


def iso(text: str) -> dt.datetime:
    """An IIS time (`...T..:..:..1234567Z`) as an aware datetime (microseconds)."""
    whole, _, fraction = text.rstrip("Z").partition(".")
    return dt.datetime.fromisoformat(whole).replace(microsecond=int((fraction + "000000")[:6]), tzinfo=dt.timezone.utc)


def test_written_here_read_through_azure_sdk_and_s3(iis, service, s3_client):
    share_name = unique_name("cross")
    root = iis.add_location(share_name, directory="")
    docs = iis.create(root["id"], "docs", "directory")
    made = iis.create(docs["id"], "data.bin")
    data = pattern(4 * MiB + 17, seed=3)
    iis.upload(made["id"], data)
    model = iis.get(f"/api/files/{made['id']}").json()
    file_client = service.get_share_client(share_name).get_file_client("docs/data.bin")
    assert file_client.download_file().readall() == data
    props = file_client.get_file_properties()
    assert props.size == len(data)
    assert abs(props.last_write_time.replace(tzinfo=dt.timezone.utc) - iso(model["last_modified"])) < dt.timedelta(seconds=1)
    assert abs(props.creation_time.replace(tzinfo=dt.timezone.utc) - iso(model["created"])) < dt.timedelta(seconds=1)
    obj = s3_client.get_object(Bucket=share_name, Key="docs/data.bin")
    assert obj["Body"].read() == data
    # Times set here are the SMB times the SDK reads.
    iis.patch(f"/api/files/{made['id']}", json={"created": "2019-03-04T05:06:07.1234567Z", "last_modified": "2020-01-02T03:04:05Z"})
    props = file_client.get_file_properties()
    assert props.creation_time.replace(tzinfo=dt.timezone.utc) == dt.datetime(2019, 3, 4, 5, 6, 7, 123456, tzinfo=dt.timezone.utc)
    assert props.last_write_time.replace(tzinfo=dt.timezone.utc) == dt.datetime(2020, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    # A copy made here shares data and is visible to S3.
    started = iis.post("/api/files/copy", json={"file": {"id": made["id"]}, "parent": {"id": root["id"]}, "name": "copy.bin"},
                       headers=HAL)
    iis.wait_operation(started)
    assert s3_client.get_object(Bucket=share_name, Key="copy.bin")["Body"].read() == data
    service.delete_share(share_name)


def test_written_through_azure_and_s3_read_and_edited_here(iis, service, s3_client):
    share_name = unique_name("cross")
    share = service.create_share(share_name)
    share.create_directory("web")
    azure_data = pattern(300_000, seed=5)
    share.get_file_client("web/from-azure.txt").upload_file(azure_data)
    s3_data = pattern(70_000, seed=6)
    s3_client.put_object(Bucket=share_name, Key="web/from-s3.txt", Body=s3_data)
    hidden = share.get_file_client("web/hidden.txt")
    hidden.upload_file(b"h")
    hidden.set_http_headers(ContentSettings(), file_attributes=NTFSAttributes(hidden=True))
    web = iis.add_location(share_name, directory="web")
    children = {c["name"]: c for c in iis.children(web["id"])}
    assert set(children) == {"from-azure.txt", "from-s3.txt"}
    props = share.get_file_client("web/from-azure.txt").get_file_properties()
    model = children["from-azure.txt"]
    assert model["size"] == len(azure_data)
    assert iso(model["last_modified"]) == props.last_write_time.replace(tzinfo=dt.timezone.utc)
    assert iis.get(f"/api/files/content/{model['id']}").content == azure_data
    assert iis.get(f"/api/files/content/{children['from-s3.txt']['id']}").content == s3_data
    # Edit in place here; the SDK and S3 see the change.
    response = iis.put(f"/api/files/content/{model['id']}", data=b"EDIT", headers={"Content-Range": "bytes 100-103/300000"})
    assert response.status_code == 200
    expected = azure_data[:100] + b"EDIT" + azure_data[104:]
    assert share.get_file_client("web/from-azure.txt").download_file().readall() == expected
    assert s3_client.get_object(Bucket=share_name, Key="web/from-azure.txt")["Body"].read() == expected
    service.delete_share(share_name)
