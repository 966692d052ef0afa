"""Metadata and properties round trips: shares, directories, files and the service."""

import datetime as dt
import hashlib

import requests
from azure.storage.fileshare import (
    AccessPolicy,
    ContentSettings,
    CorsRule,
    Metrics,
    RetentionPolicy,
    ShareSasPermissions,
)

from azure.core.exceptions import HttpResponseError

from compat_helpers import azure_error, unique_name

UTC = dt.timezone.utc


def _raw_headers(call, **kwargs):
    """Calls `call` and returns the raw response headers of its (last) request."""
    seen = {}

    def hook(response):
        seen["headers"] = response.http_response.headers

    call(raw_response_hook=hook, **kwargs)
    return seen["headers"]


def test_share_metadata_round_trip(share):
    share.set_share_metadata({"project": "sharecore", "Owner": "compat"})
    assert share.get_share_properties().metadata == {"project": "sharecore", "Owner": "compat"}
    share.set_share_metadata({"only": "this"})
    assert share.get_share_properties().metadata == {"only": "this"}
    share.set_share_metadata({})
    assert share.get_share_properties().metadata == {}


def test_directory_and_file_metadata_round_trip(share):
    directory = share.create_directory("meta", metadata={"a": "1"})
    directory.set_directory_metadata({"b": "2", "c": "three"})
    assert directory.get_directory_properties().metadata == {"b": "2", "c": "three"}

    file = directory.upload_file("f", b"data", metadata={"x": "y"})
    assert file.get_file_properties().metadata == {"x": "y"}
    file.set_file_metadata({"z": "w"})
    assert file.get_file_properties().metadata == {"z": "w"}
    assert file.download_file().properties.metadata == {"z": "w"}
    file.set_file_metadata()
    assert file.get_file_properties().metadata == {}


def test_share_quota_and_access_tier(service):
    name = unique_name("tier")
    share = service.create_share(name, quota=10, access_tier="Cool")
    try:
        props = share.get_share_properties()
        assert props.quota == 10
        assert props.access_tier == "Cool"

        share.set_share_quota(20)
        share.set_share_properties(access_tier="Hot")
        props = share.get_share_properties()
        assert props.quota == 20
        assert props.access_tier == "Hot"
        headers = _raw_headers(share.get_share_properties)
        changed = dt.datetime.strptime(headers["x-ms-access-tier-change-time"], "%a, %d %b %Y %H:%M:%S GMT")
        assert abs(changed.replace(tzinfo=UTC) - dt.datetime.now(UTC)) < dt.timedelta(minutes=5)

        share.set_share_properties(quota=30)
        props = share.get_share_properties()
        assert (props.quota, props.access_tier) == (30, "Hot")
        listed = next(iter(service.list_shares(name_starts_with=name)))
        assert (listed.quota, listed.access_tier) == (30, "Hot")
    finally:
        share.delete_share()


def test_default_share_properties(share):
    props = share.get_share_properties()
    assert props.access_tier == "TransactionOptimized"
    assert props.quota > 0
    assert props.metadata == {}
    assert props.lease.status == "unlocked" and props.lease.state == "available"


def test_file_content_settings_round_trip(share):
    file = share.get_file_client("page.html")
    settings = ContentSettings(
        content_type="text/html; charset=utf-8",
        content_encoding="identity",
        content_language="de-DE",
        content_disposition='attachment; filename="page.html"',
        cache_control="max-age=60",
    )
    file.upload_file(b"<p>hallo</p>", content_settings=settings)
    got = file.get_file_properties().content_settings
    assert (got.content_type, got.content_encoding, got.content_language, got.content_disposition, got.cache_control) == (
        "text/html; charset=utf-8", "identity", "de-DE", 'attachment; filename="page.html"', "max-age=60")

    download = file.download_file()
    assert download.properties.content_settings.content_type == "text/html; charset=utf-8"
    assert download.readall() == b"<p>hallo</p>"

    md5 = bytearray(hashlib.md5(b"<p>hallo</p>").digest())
    file.set_http_headers(ContentSettings(content_type="text/plain", content_md5=md5))
    got = file.get_file_properties().content_settings
    assert got.content_type == "text/plain"
    assert bytes(got.content_md5) == bytes(md5)
    # Set File Properties replaces every content header; the ones not sent are cleared.
    assert got.content_language is None and got.cache_control is None and got.content_disposition is None


def test_file_smb_properties_round_trip(share):
    file = share.get_file_client("smb.bin")
    created, written, changed = "2020-01-02T03:04:05.1234567Z", "2021-02-03T04:05:06.7654321Z", "2022-03-04T05:06:07.0000001Z"
    file.create_file(10, file_attributes="ReadOnly|Archive", file_creation_time=created,
                     file_last_write_time=written, file_change_time=changed)

    props = file.get_file_properties()
    assert props.file_attributes == "ReadOnly | Archive"
    assert props.creation_time == dt.datetime(2020, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
    assert props.last_write_time == dt.datetime(2021, 2, 3, 4, 5, 6, 765432, tzinfo=UTC)
    assert props.change_time == dt.datetime(2022, 3, 4, 5, 6, 7, 0, tzinfo=UTC)
    headers = _raw_headers(file.get_file_properties)
    # The service writes SMB times with seven fractional digits.
    assert headers["x-ms-file-creation-time"] == created
    assert headers["x-ms-file-last-write-time"] == written
    assert headers["x-ms-file-change-time"] == changed
    assert headers["x-ms-file-id"].isdigit() and headers["x-ms-file-parent-id"].isdigit()

    file.set_http_headers(ContentSettings(), file_attributes="Hidden", file_last_write_time="2023-01-01T00:00:00.0000000Z")
    props = file.get_file_properties()
    assert props.file_attributes == "Hidden"
    assert props.last_write_time == dt.datetime(2023, 1, 1, tzinfo=UTC)
    assert props.creation_time == dt.datetime(2020, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)


def test_directory_smb_properties_round_trip(share):
    directory = share.get_directory_client("smbdir")
    directory.create_directory(file_attributes="Hidden", file_creation_time="2019-05-06T07:08:09.0000000Z")
    props = directory.get_directory_properties()
    assert set(props.file_attributes.split(" | ")) == {"Hidden", "Directory"}
    assert props.creation_time == dt.datetime(2019, 5, 6, 7, 8, 9, tzinfo=UTC)

    directory.set_http_headers(file_attributes="ReadOnly", file_last_write_time="2020-05-06T07:08:09.5000000Z")
    props = directory.get_directory_properties()
    assert set(props.file_attributes.split(" | ")) == {"ReadOnly", "Directory"}
    assert props.last_write_time == dt.datetime(2020, 5, 6, 7, 8, 9, 500000, tzinfo=UTC)


def test_permissions_by_key(share):
    sddl = "O:BAG:SYD:(A;;FA;;;BA)(A;;0x1200a9;;;BU)"
    key = share.create_permission_for_share(sddl)
    assert key
    assert share.get_permission_for_share(key) == sddl

    file = share.get_file_client("secured")
    file.create_file(1, permission_key=key)
    props = file.get_file_properties()
    assert share.get_permission_for_share(props.permission_key) == sddl

    other = share.get_file_client("inline")
    other.create_file(1, file_permission=sddl)
    assert share.get_permission_for_share(other.get_file_properties().permission_key) == sddl


def test_share_access_policies_round_trip(share):
    start = dt.datetime(2024, 1, 1, tzinfo=UTC)
    expiry = dt.datetime(2030, 1, 1, tzinfo=UTC)
    share.set_share_access_policy({
        "readers": AccessPolicy(permission=ShareSasPermissions(read=True, list=True), start=start, expiry=expiry),
        "writers": AccessPolicy(permission=ShareSasPermissions(write=True, create=True), expiry=expiry),
    })
    acl = share.get_share_access_policy()
    policies = {i.id: i.access_policy for i in acl["signed_identifiers"]}
    assert set(policies) == {"readers", "writers"}
    assert policies["readers"].permission == "rl"
    # The SDK hands the times back as the service wrote them: seven fractional digits.
    assert policies["readers"].start == "2024-01-01T00:00:00.0000000Z"
    assert policies["readers"].expiry == "2030-01-01T00:00:00.0000000Z"
    assert policies["writers"].permission == "cw"
    assert policies["writers"].start is None

    share.set_share_access_policy({})
    assert share.get_share_access_policy()["signed_identifiers"] == []


def test_share_stats(share):
    share.get_file_client("f").upload_file(b"x" * 1000)
    usage = share.get_share_stats()
    assert isinstance(usage, int) and usage >= 0


def test_service_properties_round_trip(service):
    hour = Metrics(enabled=True, include_apis=True, retention_policy=RetentionPolicy(enabled=True, days=5))
    minute = Metrics(enabled=False, retention_policy=RetentionPolicy(enabled=False))
    cors = [CorsRule(["https://example.com"], ["GET", "PUT"], allowed_headers=["x-ms-meta-*"],
                     exposed_headers=["x-ms-request-id"], max_age_in_seconds=300)]
    try:
        service.set_service_properties(hour_metrics=hour, minute_metrics=minute, cors=cors)
        props = service.get_service_properties()
        assert props["hour_metrics"].enabled and props["hour_metrics"].include_apis
        assert props["hour_metrics"].retention_policy.enabled and props["hour_metrics"].retention_policy.days == 5
        assert not props["minute_metrics"].enabled
        [rule] = props["cors"]
        assert rule.allowed_origins == "https://example.com"
        assert rule.allowed_methods == "GET,PUT"
        assert rule.allowed_headers == "x-ms-meta-*"
        assert rule.exposed_headers == "x-ms-request-id"
        assert rule.max_age_in_seconds == 300
    finally:
        service.set_service_properties(cors=[])
    assert service.get_service_properties()["cors"] == []


def test_cors_preflight_and_actual_request(server, service, share):
    rule = CorsRule(["https://app.example"], ["GET", "PUT"], allowed_headers=["x-ms-*"],
                    exposed_headers=["x-ms-request-id"], max_age_in_seconds=60)
    service.set_service_properties(cors=[rule])
    try:
        url = f"{server.endpoint}/{share.share_name}/anything"
        allowed = requests.options(url, headers={"Origin": "https://app.example", "Access-Control-Request-Method": "PUT",
                                                 "Access-Control-Request-Headers": "x-ms-version,x-ms-date"})
        assert allowed.status_code == 200
        assert allowed.headers["Access-Control-Allow-Origin"] == "https://app.example"
        assert "PUT" in allowed.headers["Access-Control-Allow-Methods"]
        assert allowed.headers["Access-Control-Max-Age"] == "60"

        refused = requests.options(url, headers={"Origin": "https://other.example", "Access-Control-Request-Method": "GET"})
        assert refused.status_code == 403

        headers = _raw_headers(share.get_share_properties, headers={"Origin": "https://app.example"})
        assert headers["Access-Control-Allow-Origin"] == "https://app.example"
    finally:
        service.set_service_properties(cors=[])


def test_nfs_shares_are_refused_and_nothing_is_created(service):
    # As on a standard Azure account; docs/FILEREST.md says why NFS shares are not offered.
    name = unique_name("nfs")
    with azure_error(HttpResponseError, "InvalidHeaderValue", 400):
        service.create_share(name, protocols="NFS")
    assert name not in [s.name for s in service.list_shares(name_starts_with=name)]
    smb = service.create_share(name, protocols="SMB")
    assert smb.get_share_properties().protocols == ["SMB"]
    smb.delete_share()
