"""Buckets (create, head, list, delete, location, errors), virtual-host addressing, and how keys
map to files: conflicts, invalid keys and directory keys, each with its S3 error code."""

import datetime as dt
import socket

import pytest
from azure.core.exceptions import ResourceNotFoundError
from botocore.config import Config

from compat_helpers import pattern
from s3_helpers import expect_error, key_path, make_s3_client, quoted_md5, s3_error, signed_request

UTC = dt.timezone.utc


def _status(response) -> int:
    return response["ResponseMetadata"]["HTTPStatusCode"]


# MARK: Buckets


def test_bucket_life_cycle(s3_client, service, new_bucket_name):
    name = new_bucket_name
    before = dt.datetime.now(UTC) - dt.timedelta(seconds=5)
    created = s3_client.create_bucket(Bucket=name)
    assert _status(created) == 200
    assert created["Location"] == f"/{name}"
    assert _status(s3_client.head_bucket(Bucket=name)) == 200

    buckets = s3_client.list_buckets()
    mine = [b for b in buckets["Buckets"] if b["Name"] == name]
    assert len(mine) == 1
    assert before <= mine[0]["CreationDate"] <= dt.datetime.now(UTC) + dt.timedelta(seconds=5)
    assert buckets["Owner"]["ID"]
    # A bucket is a share: FileREST sees it.
    assert service.get_share_client(name).get_share_properties().name == name

    # us-east-1 is reported as an empty location constraint.
    assert s3_client.get_bucket_location(Bucket=name).get("LocationConstraint") in (None, "")

    assert _status(s3_client.delete_bucket(Bucket=name)) == 204
    with s3_error("404", 404):
        s3_client.head_bucket(Bucket=name)
    assert name not in [b["Name"] for b in s3_client.list_buckets()["Buckets"]]
    with pytest.raises(ResourceNotFoundError):
        service.get_share_client(name).get_share_properties()


def test_shares_made_through_filerest_are_buckets(s3_client, share):
    share.get_file_client("hello.txt").upload_file(b"from smb")
    assert share.share_name in [b["Name"] for b in s3_client.list_buckets()["Buckets"]]
    assert s3_client.get_object(Bucket=share.share_name, Key="hello.txt")["Body"].read() == b"from smb"


def test_create_bucket_with_location_constraint(s3_client, new_bucket_name):
    # Tools configured for another region send a LocationConstraint: accepted (one region here).
    s3_client.create_bucket(Bucket=new_bucket_name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert _status(s3_client.head_bucket(Bucket=new_bucket_name)) == 200


def test_recreating_ones_own_bucket_keeps_it(s3_client, bucket):
    # As S3 in us-east-1 (the region reported here): 200, and the contents stay.
    s3_client.put_object(Bucket=bucket, Key="kept.txt", Body=b"kept")
    assert _status(s3_client.create_bucket(Bucket=bucket)) == 200
    assert s3_client.get_object(Bucket=bucket, Key="kept.txt")["Body"].read() == b"kept"


def test_bucket_not_empty(s3_client, bucket):
    s3_client.put_object(Bucket=bucket, Key="deep/file", Body=b"x")
    with s3_error("BucketNotEmpty", 409):
        s3_client.delete_bucket(Bucket=bucket)
    assert s3_client.get_object(Bucket=bucket, Key="deep/file")["Body"].read() == b"x"
    s3_client.delete_object(Bucket=bucket, Key="deep/file")
    # An empty directory is an object (`d/`) too, so it also keeps the bucket from deletion.
    s3_client.put_object(Bucket=bucket, Key="d/", Body=b"")
    with s3_error("BucketNotEmpty", 409):
        s3_client.delete_bucket(Bucket=bucket)
    s3_client.delete_object(Bucket=bucket, Key="d/")
    # A multipart upload in progress does not: as in S3, it is discarded with the bucket.
    upload_id = s3_client.create_multipart_upload(Bucket=bucket, Key="pending")["UploadId"]
    s3_client.upload_part(Bucket=bucket, Key="pending", UploadId=upload_id, PartNumber=1, Body=b"part")
    assert _status(s3_client.delete_bucket(Bucket=bucket)) == 204
    with s3_error("NoSuchBucket", 404):
        s3_client.list_multipart_uploads(Bucket=bucket)
    s3_client.create_bucket(Bucket=bucket)
    assert s3_client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_no_such_bucket(s3_client, new_bucket_name):
    name = new_bucket_name
    with s3_error("404", 404):
        s3_client.head_bucket(Bucket=name)
    with s3_error("NoSuchBucket", 404):
        s3_client.list_objects_v2(Bucket=name)
    with s3_error("NoSuchBucket", 404):
        s3_client.list_objects(Bucket=name)
    with s3_error("NoSuchBucket", 404):
        s3_client.delete_bucket(Bucket=name)
    with s3_error("NoSuchBucket", 404):
        s3_client.get_bucket_location(Bucket=name)
    with s3_error("NoSuchBucket", 404):
        s3_client.put_object(Bucket=name, Key="k", Body=b"x")
    with s3_error("NoSuchBucket", 404):
        s3_client.create_multipart_upload(Bucket=name, Key="k")
    with s3_error("NoSuchBucket", 404):
        s3_client.delete_objects(Bucket=name, Delete={"Objects": [{"Key": "k"}]})


# S3's naming rules, and the stricter ones of share names (no dots, no "--"; docs/S3.md).
@pytest.mark.parametrize("name", ["ab", "Upper-Case", "under_score", "-leading-dash", "trailing-dash-",
                                  "a" * 64, "192.168.5.4", "two..dots", "has.dot", "two--hyphens"])
def test_invalid_bucket_name(s3_client, name):
    with s3_error("InvalidBucketName", 400):
        s3_client.create_bucket(Bucket=name)
    assert name not in [b["Name"] for b in s3_client.list_buckets()["Buckets"]]


def test_list_buckets_is_sorted(s3_client, bucket):
    names = sorted(b["Name"] for b in s3_client.list_buckets()["Buckets"])
    assert [b["Name"] for b in s3_client.list_buckets()["Buckets"]] == names


def test_acls_and_unsupported_subresources(s3_client, bucket):
    s3_client.put_object(Bucket=bucket, Key="k", Body=b"x")
    owner = s3_client.list_buckets()["Owner"]["ID"]
    for acl in (s3_client.get_bucket_acl(Bucket=bucket), s3_client.get_object_acl(Bucket=bucket, Key="k")):
        assert acl["Owner"]["ID"] == owner
        assert [g["Permission"] for g in acl["Grants"]] == ["FULL_CONTROL"]
    with s3_error("NotImplemented", 501):
        s3_client.get_bucket_website(Bucket=bucket)
    with s3_error("NotImplemented", 501):
        s3_client.get_bucket_logging(Bucket=bucket)


# MARK: Virtual-host style


@pytest.fixture
def localhost_subdomains(monkeypatch):
    """Makes `<anything>.localhost` resolve to 127.0.0.1 in this process (glibc here does not
    resolve subdomains of localhost by itself; browsers and systemd-resolved do)."""
    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):
        if isinstance(host, str) and host.endswith(".localhost"):
            host = "127.0.0.1"
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)


def test_virtual_host_addressing_with_boto3(server, s3_client, bucket, localhost_subdomains):
    client = make_s3_client(f"http://localhost:{server.s3_port}", config=Config(s3={"addressing_style": "virtual"}))
    urls = []
    client.meta.events.register("before-send.s3", lambda request, **kw: urls.append(request.url))
    data = pattern(5000, seed=8)
    client.put_object(Bucket=bucket, Key="vhost/obj.bin", Body=data, Metadata={"style": "virtual"})
    assert urls[-1] == f"http://{bucket}.localhost:{server.s3_port}/vhost/obj.bin"
    got = client.get_object(Bucket=bucket, Key="vhost/obj.bin")
    assert got["Body"].read() == data
    assert got["Metadata"] == {"style": "virtual"}
    assert [o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]] == ["vhost/obj.bin"]
    assert urls[-1].startswith(f"http://{bucket}.localhost:{server.s3_port}/?")
    # Path style sees the same object.
    assert s3_client.get_object(Bucket=bucket, Key="vhost/obj.bin")["Body"].read() == data
    client.delete_object(Bucket=bucket, Key="vhost/obj.bin")
    with s3_error("404", 404):
        s3_client.head_object(Bucket=bucket, Key="vhost/obj.bin")


def test_virtual_host_addressing_by_host_header(server, bucket, s3_client):
    s3_client.put_object(Bucket=bucket, Key="a/b.txt", Body=b"by host")
    host = f"{bucket}.localhost:{server.s3_port}"
    got = signed_request(server.s3_endpoint, "GET", "/a/b.txt", host=host)
    assert got.status_code == 200, got.text
    assert got.content == b"by host"
    put = signed_request(server.s3_endpoint, "PUT", "/a/c.txt", body=b"put by host", host=host)
    assert put.status_code == 200, put.text
    assert put.headers["ETag"] == quoted_md5(b"put by host")
    assert s3_client.get_object(Bucket=bucket, Key="a/c.txt")["Body"].read() == b"put by host"
    missing = signed_request(server.s3_endpoint, "GET", "/x", host=f"{bucket}-none.localhost:{server.s3_port}")
    expect_error(missing, "NoSuchBucket", 404)


# MARK: Keys and files


def test_put_under_a_file_is_object_parent_is_file(s3_client, bucket):
    s3_client.put_object(Bucket=bucket, Key="a", Body=b"i am a file")
    with s3_error("ObjectParentIsFile", 409):
        s3_client.put_object(Bucket=bucket, Key="a/b", Body=b"child")
    with s3_error("ObjectParentIsFile", 409):
        s3_client.put_object(Bucket=bucket, Key="a/b/c/d", Body=b"grandchild")
    assert s3_client.get_object(Bucket=bucket, Key="a")["Body"].read() == b"i am a file"
    assert [o["Key"] for o in s3_client.list_objects_v2(Bucket=bucket)["Contents"]] == ["a"]
    with s3_error("ObjectParentIsFile", 409):
        s3_client.copy_object(Bucket=bucket, Key="a/copy", CopySource={"Bucket": bucket, "Key": "a"})


def test_put_onto_a_directory_is_existing_object_is_directory(s3_client, bucket):
    s3_client.put_object(Bucket=bucket, Key="d/x", Body=b"inside")
    with s3_error("ExistingObjectIsDirectory", 409):
        s3_client.put_object(Bucket=bucket, Key="d", Body=b"would hide d/x")
    assert s3_client.get_object(Bucket=bucket, Key="d/x")["Body"].read() == b"inside"
    with s3_error("NoSuchKey", 404):
        s3_client.get_object(Bucket=bucket, Key="d")
    # Also for an empty directory.
    s3_client.put_object(Bucket=bucket, Key="e/", Body=b"")
    with s3_error("ExistingObjectIsDirectory", 409):
        s3_client.put_object(Bucket=bucket, Key="e", Body=b"x")


@pytest.mark.parametrize("key", ["a/../b", "..", "a/..", "a//b", "./a", "a/./b", "a:b", "a|b", "dir/x:y",
                                 "star*", "q?mark", "/leading"])
def test_invalid_keys_are_invalid_argument(s3_endpoint, s3_client, bucket, key):
    # Sent by hand so that no client library normalises `.` and `..` away.
    response = signed_request(s3_endpoint, "PUT", key_path(bucket, key), body=b"x")
    root = expect_error(response, "InvalidArgument", 400)
    assert key in response.text or root.findtext("ArgumentValue") == key
    assert s3_client.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


@pytest.mark.parametrize("key", ["a//b", "./a", "a:b", "a|b"])
def test_invalid_keys_through_boto3(s3_client, bucket, key):
    with s3_error("InvalidArgument", 400):
        s3_client.put_object(Bucket=bucket, Key=key, Body=b"x")


def test_key_length_limit(s3_client, bucket):
    segment = "k" * 200
    key_1024 = "/".join([segment] * 6)[:1023] + "z"
    assert len(key_1024.encode()) == 1024
    s3_client.put_object(Bucket=bucket, Key=key_1024, Body=b"longest")
    assert s3_client.get_object(Bucket=bucket, Key=key_1024)["Body"].read() == b"longest"
    with s3_error("KeyTooLongError", 400):
        s3_client.put_object(Bucket=bucket, Key=key_1024 + "z", Body=b"too long")
    # Bytes count, not characters: 525 characters, 1045 bytes.
    multibyte = ("é" * 100 + "/") * 5 + "é" * 20
    assert len(multibyte) < 1024 < len(multibyte.encode())
    with s3_error("KeyTooLongError", 400):
        s3_client.put_object(Bucket=bucket, Key=multibyte, Body=b"x")


def test_key_ending_in_slash_with_a_body_is_refused(s3_client, bucket):
    with s3_error("InvalidArgument", 400):
        s3_client.put_object(Bucket=bucket, Key="folder/", Body=b"content")
    assert s3_client.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_key_ending_in_slash_creates_a_directory(s3_client, service, bucket):
    put = s3_client.put_object(Bucket=bucket, Key="new/nested/dir/", Body=b"")
    assert put["ETag"] == quoted_md5(b"")
    share = service.get_share_client(bucket)
    assert share.get_directory_client("new/nested/dir").get_directory_properties().is_directory
    assert [o["Key"] for o in s3_client.list_objects_v2(Bucket=bucket)["Contents"]] == ["new/nested/dir/"]
    # Putting it again is fine (the directory exists); a file can then go inside.
    s3_client.put_object(Bucket=bucket, Key="new/nested/dir/", Body=b"")
    s3_client.put_object(Bucket=bucket, Key="new/nested/dir/file", Body=b"f")
    names = [item["name"] for item in share.get_directory_client("new/nested/dir").list_directories_and_files()]
    assert names == ["file"]


def test_parent_directories_are_created_on_put(s3_client, service, bucket):
    s3_client.put_object(Bucket=bucket, Key="p/q/r/file.txt", Body=b"deep")
    share = service.get_share_client(bucket)
    for path in ["p", "p/q", "p/q/r"]:
        assert share.get_directory_client(path).get_directory_properties().is_directory
    assert share.get_file_client("p/q/r/file.txt").download_file().readall() == b"deep"


def test_list_buckets_pages(s3_client, new_bucket_name):
    names = [new_bucket_name + suffix for suffix in ("-a", "-b", "-c")]
    for name in names:
        s3_client.create_bucket(Bucket=name)
    try:
        seen = []
        kwargs = {"MaxBuckets": 1, "Prefix": new_bucket_name}
        while True:
            page = s3_client.list_buckets(**kwargs)
            assert len(page["Buckets"]) <= 1
            seen += [b["Name"] for b in page["Buckets"]]
            if "ContinuationToken" not in page:
                break
            kwargs["ContinuationToken"] = page["ContinuationToken"]
        assert seen == names
    finally:
        for name in names:
            s3_client.delete_bucket(Bucket=name)
