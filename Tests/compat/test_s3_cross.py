"""Cross-protocol: what S3 writes the Azure SDK (FileREST) reads byte for byte with the same
content headers and metadata, and the reverse; buckets mapped to a directory of a share."""

import hashlib
import subprocess

import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.storage.fileshare import ContentSettings, ShareServiceClient

from compat_helpers import KiB, MiB, pattern
from s3_helpers import checksum_b64, make_s3_client, md5_b64, multipart_etag, quoted_md5, s3_error

HEADERS = dict(ContentType="text/csv; charset=utf-8", ContentEncoding="gzip", ContentLanguage="en-GB",
               ContentDisposition='inline; filename="data.csv"', CacheControl="private, max-age=30")
SETTINGS = ContentSettings(content_type="application/json", content_encoding="br", content_language="nl-BE",
                           content_disposition='attachment; filename="x.json"', cache_control="no-cache")


def _content_settings(props):
    c = props.content_settings
    return (c.content_type, c.content_encoding, c.content_language, c.content_disposition, c.cache_control)


def _s3_headers(response):
    return tuple(response.get(k) for k in ("ContentType", "ContentEncoding", "ContentLanguage", "ContentDisposition",
                                           "CacheControl"))


# MARK: S3 writes, FileREST reads


def test_s3_put_read_through_the_azure_sdk(s3_client, service, bucket):
    data = pattern(3 * MiB + 11, seed=31)
    s3_client.put_object(Bucket=bucket, Key="exports/2024/data.csv", Body=data,
                         Metadata={"source": "s3", "rows": "1234"}, **HEADERS)
    head = s3_client.head_object(Bucket=bucket, Key="exports/2024/data.csv")

    file = service.get_share_client(bucket).get_file_client("exports/2024/data.csv")
    props = file.get_file_properties()
    assert props.size == len(data)
    assert props.metadata == {"source": "s3", "rows": "1234"}
    assert _content_settings(props) == tuple(HEADERS.values())
    assert props.last_modified == head["LastModified"]
    assert props.etag  # FileREST has its own ETag; S3's is the MD5.
    # decompress=False: the bytes exactly as stored (Content-Encoding is only a label here).
    assert file.download_file(decompress=False).readall() == data
    assert file.download_file(offset=MiB, length=100, decompress=False).readall() == data[MiB:MiB + 100]


def test_content_md5_and_checksums_across_protocols(s3_client, service, bucket):
    data = pattern(64 * KiB, seed=8)
    s3_client.put_object(Bucket=bucket, Key="sum.bin", Body=data, ContentMD5=md5_b64(data), ChecksumAlgorithm="SHA256")
    file = service.get_share_client(bucket).get_file_client("sum.bin")
    # The verified Content-MD5 is the file's Content-MD5 property.
    assert bytes(file.get_file_properties().content_settings.content_md5) == hashlib.md5(data).digest()
    head = s3_client.head_object(Bucket=bucket, Key="sum.bin", ChecksumMode="ENABLED")
    assert head["ChecksumSHA256"] == checksum_b64("sha256", data)
    # A FileREST write drops the S3 checksum (it would be stale); the ETag follows the content.
    file.upload_range(b"\xff" * 512, offset=0, length=512)
    changed = b"\xff" * 512 + data[512:]
    head = s3_client.head_object(Bucket=bucket, Key="sum.bin", ChecksumMode="ENABLED")
    assert "ChecksumSHA256" not in head
    assert head["ETag"] == quoted_md5(changed)
    assert s3_client.get_object(Bucket=bucket, Key="sum.bin", ChecksumMode="ENABLED")["Body"].read() == changed


def test_default_content_type_across_protocols(s3_client, service, bucket):
    share = service.get_share_client(bucket)
    share.get_file_client("from-azure").upload_file(b"a")
    s3_client.put_object(Bucket=bucket, Key="from-s3", Body=b"s")
    assert s3_client.head_object(Bucket=bucket, Key="from-azure")["ContentType"] == "application/octet-stream"
    assert share.get_file_client("from-s3").get_file_properties().content_settings.content_type == \
        "application/octet-stream"


def test_s3_multipart_and_copy_read_through_the_azure_sdk(s3_client, service, bucket):
    parts = [pattern(5 * MiB, seed=1), pattern(1234, seed=2)]
    upload_id = s3_client.create_multipart_upload(Bucket=bucket, Key="mp.bin", ContentType="application/x-mp",
                                                  Metadata={"kind": "multipart"})["UploadId"]
    etags = [s3_client.upload_part(Bucket=bucket, Key="mp.bin", UploadId=upload_id, PartNumber=n, Body=b)["ETag"]
             for n, b in enumerate(parts, start=1)]
    s3_client.complete_multipart_upload(Bucket=bucket, Key="mp.bin", UploadId=upload_id, MultipartUpload={
        "Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, start=1)]})
    s3_client.copy_object(Bucket=bucket, Key="copies/mp-copy.bin", CopySource={"Bucket": bucket, "Key": "mp.bin"},
                          MetadataDirective="REPLACE", Metadata={"kind": "copy"}, ContentType="text/x-copy")

    share = service.get_share_client(bucket)
    original = share.get_file_client("mp.bin")
    assert original.download_file().readall() == b"".join(parts)
    assert original.get_file_properties().content_settings.content_type == "application/x-mp"
    assert original.get_file_properties().metadata == {"kind": "multipart"}
    copy = share.get_file_client("copies/mp-copy.bin")
    assert copy.download_file().readall() == b"".join(parts)
    props = copy.get_file_properties()
    assert (props.metadata, props.content_settings.content_type) == ({"kind": "copy"}, "text/x-copy")
    # A copy keeps the multipart ETag of its source (same bytes, same parts).
    assert s3_client.head_object(Bucket=bucket, Key="copies/mp-copy.bin")["ETag"] == multipart_etag(parts)
    # Once FileREST changes the content, the ETag is the MD5 of the new content.
    original.upload_range(b"\x00" * 10, offset=5 * MiB, length=10)
    changed = parts[0] + b"\x00" * 10 + parts[1][10:]
    assert s3_client.head_object(Bucket=bucket, Key="mp.bin")["ETag"] == quoted_md5(changed)
    assert s3_client.head_object(Bucket=bucket, Key="copies/mp-copy.bin")["ETag"] == multipart_etag(parts)


def test_s3_delete_is_seen_by_the_azure_sdk(s3_client, service, bucket):
    s3_client.put_object(Bucket=bucket, Key="gone/soon.txt", Body=b"bye")
    file = service.get_share_client(bucket).get_file_client("gone/soon.txt")
    assert file.download_file().readall() == b"bye"
    s3_client.delete_object(Bucket=bucket, Key="gone/soon.txt")
    with pytest.raises(ResourceNotFoundError):
        file.get_file_properties()


def test_s3_directory_key_is_an_azure_directory(s3_client, service, bucket):
    s3_client.put_object(Bucket=bucket, Key="made/by/s3/", Body=b"")
    share = service.get_share_client(bucket)
    assert [i["name"] for i in share.get_directory_client("made/by").list_directories_and_files()] == ["s3"]
    assert share.get_directory_client("made/by/s3").get_directory_properties().is_directory


# MARK: FileREST writes, S3 reads


@pytest.mark.parametrize("order", ["in-order", "out-of-order"])
def test_azure_ranges_read_through_s3(s3_client, service, bucket, order):
    data = pattern(3 * MiB + 500 * KiB, seed=41)
    share = service.get_share_client(bucket)
    share.create_directory("from-azure")
    file = share.get_file_client("from-azure/ranges.bin")
    file.create_file(len(data), content_settings=SETTINGS, metadata={"writer": "azure", "n": "7"})
    chunk = 1 * MiB
    offsets = list(range(0, len(data), chunk))
    if order == "out-of-order":
        offsets = offsets[::-1]
    for offset in offsets:
        piece = data[offset:offset + chunk]
        file.upload_range(piece, offset=offset, length=len(piece))
    props = file.get_file_properties()

    got = s3_client.get_object(Bucket=bucket, Key="from-azure/ranges.bin")
    assert got["Body"].read() == data
    assert got["ContentLength"] == len(data)
    assert _s3_headers(got) == _content_settings(props)
    assert got["Metadata"] == {"writer": "azure", "n": "7"}
    assert got["ETag"] == quoted_md5(data)
    assert got["LastModified"] == props.last_modified
    listed = s3_client.list_objects_v2(Bucket=bucket)["Contents"]
    assert [(o["Key"], o["Size"], o["ETag"]) for o in listed] == [("from-azure/ranges.bin", len(data), quoted_md5(data))]


def test_azure_overwrites_and_resizes_change_the_s3_etag(s3_client, service, bucket):
    data = pattern(300 * KiB, seed=5)
    s3_client.put_object(Bucket=bucket, Key="edited.bin", Body=data)
    file = service.get_share_client(bucket).get_file_client("edited.bin")
    file.upload_range(b"\x00" * 4096, offset=8192, length=4096)
    edited = data[:8192] + b"\x00" * 4096 + data[12288:]
    assert s3_client.head_object(Bucket=bucket, Key="edited.bin")["ETag"] == quoted_md5(edited)
    file.resize_file(len(edited) + 1000)
    grown = edited + b"\x00" * 1000
    got = s3_client.get_object(Bucket=bucket, Key="edited.bin")
    assert got["ETag"] == quoted_md5(grown)
    assert got["Body"].read() == grown
    file.clear_range(offset=0, length=4096)
    cleared = b"\x00" * 4096 + grown[4096:]
    assert s3_client.head_object(Bucket=bucket, Key="edited.bin")["ETag"] == quoted_md5(cleared)


def test_azure_upload_file_and_metadata_changes_read_through_s3(s3_client, service, bucket):
    share = service.get_share_client(bucket)
    data = pattern(5 * MiB, seed=6)
    file = share.get_file_client("whole.bin")
    file.upload_file(data, metadata={"v": "1"}, content_settings=ContentSettings(content_type="image/png"))
    head = s3_client.head_object(Bucket=bucket, Key="whole.bin")
    assert (head["ETag"], head["ContentType"], head["Metadata"]) == (quoted_md5(data), "image/png", {"v": "1"})
    file.set_file_metadata({"v": "2", "extra": "yes"})
    file.set_http_headers(ContentSettings(content_type="image/jpeg", cache_control="max-age=1"))
    head = s3_client.head_object(Bucket=bucket, Key="whole.bin")
    assert head["Metadata"] == {"v": "2", "extra": "yes"}
    assert head["ContentType"] == "image/jpeg"
    assert head["CacheControl"] == "max-age=1"
    # S3 sees the new headers, FileREST the S3-replaced metadata.
    s3_client.copy_object(Bucket=bucket, Key="whole.bin", CopySource={"Bucket": bucket, "Key": "whole.bin"},
                          MetadataDirective="REPLACE", Metadata={"v": "3"}, ContentType="image/gif")
    props = file.get_file_properties()
    assert props.metadata == {"v": "3"}
    assert props.content_settings.content_type == "image/gif"
    assert file.download_file().readall() == data


def test_azure_directories_appear_in_s3_listings(s3_client, service, bucket):
    share = service.get_share_client(bucket)
    share.create_directory("empty")
    share.create_directory("outer")
    share.create_directory("outer/inner")
    share.create_directory("outer/full")
    share.get_file_client("outer/full/file.txt").upload_file(b"inside")
    listed = [o["Key"] for o in s3_client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert listed == ["empty/", "outer/full/file.txt", "outer/inner/"]
    rolled = s3_client.list_objects_v2(Bucket=bucket, Prefix="outer/", Delimiter="/")
    assert [p["Prefix"] for p in rolled["CommonPrefixes"]] == ["outer/full/", "outer/inner/"]
    assert s3_client.get_object(Bucket=bucket, Key="outer/full/file.txt")["Body"].read() == b"inside"


def test_azure_delete_is_seen_by_s3(s3_client, service, bucket):
    s3_client.put_object(Bucket=bucket, Key="d/f", Body=b"x")
    service.get_share_client(bucket).get_file_client("d/f").delete_file()
    with s3_error("NoSuchKey", 404):
        s3_client.get_object(Bucket=bucket, Key="d/f")


# MARK: A bucket mapped to a directory of a share


def _run(*command):
    return subprocess.run([str(c) for c in command], capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def mapped(server_factory):
    """A store with share `projects` holding `web/site/index.html` and `top.txt`, and bucket
    `site` mapped to directory `web/site` (added with `sharecore bucket add` while no server
    had the store open); yields (server, results of the bucket commands)."""
    data_dir = server_factory.data_dir("mapped")
    first = server_factory.start(data_dir)
    service = ShareServiceClient.from_connection_string(first.connection_string)
    share = service.create_share("projects")
    share.create_directory("web")
    share.create_directory("web/site")
    share.get_file_client("web/site/index.html").upload_file(b"<h1>home</h1>",
                                                              content_settings=ContentSettings(content_type="text/html"))
    share.get_file_client("top.txt").upload_file(b"outside the bucket")
    # Refused while a server has the store open.
    while_open = _run(server_factory.binary, "bucket", "add", "early", "--share", "projects", "--path", "web",
                      "--data", data_dir)
    server_factory.stop(first)

    results = {
        "while_open": while_open,
        "add": _run(server_factory.binary, "bucket", "add", "site", "--share", "projects", "--path", "web/site",
                    "--data", data_dir),
        "missing_dir": _run(server_factory.binary, "bucket", "add", "nowhere", "--share", "projects", "--path",
                            "no/such/dir", "--data", data_dir),
        "bad_name": _run(server_factory.binary, "bucket", "add", "Bad_Name", "--share", "projects", "--path", "web",
                         "--data", data_dir),
        "list": _run(server_factory.binary, "bucket", "list", "--data", data_dir),
    }
    yield server_factory.start(data_dir), results


def test_bucket_commands(mapped):
    _, results = mapped
    assert results["while_open"].returncode != 0
    assert results["add"].returncode == 0, results["add"].stderr
    assert results["missing_dir"].returncode != 0
    assert results["bad_name"].returncode != 0
    assert results["list"].returncode == 0, results["list"].stderr
    assert results["list"].stdout.split() == ["site", "projects", "/web/site"]


def test_mapped_bucket_keys_are_relative_to_its_directory(mapped):
    server, _ = mapped
    s3 = make_s3_client(server.s3_endpoint)
    service = ShareServiceClient.from_connection_string(server.connection_string)
    share = service.get_share_client("projects")

    assert s3.head_bucket(Bucket="site")["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert "site" in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="site")["Contents"]] == ["index.html"]
    got = s3.get_object(Bucket="site", Key="index.html")
    assert (got["Body"].read(), got["ContentType"]) == (b"<h1>home</h1>", "text/html")

    data = pattern(70 * KiB, seed=70)
    s3.put_object(Bucket="site", Key="css/app.css", Body=data, ContentType="text/css", Metadata={"min": "no"})
    file = share.get_file_client("web/site/css/app.css")
    assert file.download_file().readall() == data
    props = file.get_file_properties()
    assert (props.content_settings.content_type, props.metadata) == ("text/css", {"min": "no"})
    assert s3.head_object(Bucket="site", Key="css/app.css")["ETag"] == quoted_md5(data)

    # The whole share is a bucket too, with the same files under their full paths.
    whole = [o["Key"] for o in s3.list_objects_v2(Bucket="projects")["Contents"]]
    assert whole == ["top.txt", "web/site/css/app.css", "web/site/index.html"]

    # Nothing outside the directory can be reached through the mapped bucket.
    with s3_error("InvalidArgument", 400):
        s3.get_object(Bucket="site", Key="../../top.txt")
    with s3_error("NoSuchKey", 404):
        s3.get_object(Bucket="site", Key="top.txt")

    # Multipart uploads and deletes work relative to the directory as well.
    parts = [pattern(5 * MiB, seed=1), b"end"]
    upload_id = s3.create_multipart_upload(Bucket="site", Key="media/video.bin")["UploadId"]
    etags = [s3.upload_part(Bucket="site", Key="media/video.bin", UploadId=upload_id, PartNumber=n, Body=b)["ETag"]
             for n, b in enumerate(parts, start=1)]
    s3.complete_multipart_upload(Bucket="site", Key="media/video.bin", UploadId=upload_id, MultipartUpload={
        "Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, start=1)]})
    video = share.get_file_client("web/site/media/video.bin").download_file().readall()
    assert hashlib.sha256(video).digest() == hashlib.sha256(b"".join(parts)).digest()
    s3.delete_object(Bucket="site", Key="css/app.css")
    with pytest.raises(ResourceNotFoundError):
        file.get_file_properties()
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="site")["Contents"]] == ["index.html", "media/video.bin"]

    # DeleteBucket of a mapped bucket removes only the mapping, and only when it is empty.
    with s3_error("BucketNotEmpty", 409):
        s3.delete_bucket(Bucket="site")
    s3.delete_objects(Bucket="site", Delete={"Objects": [{"Key": "index.html"}, {"Key": "media/video.bin"}]})
    assert s3.list_objects_v2(Bucket="site")["KeyCount"] == 0
    assert s3.delete_bucket(Bucket="site")["ResponseMetadata"]["HTTPStatusCode"] == 204
    with s3_error("404", 404):
        s3.head_bucket(Bucket="site")
    assert share.get_directory_client("web/site").get_directory_properties().is_directory
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="projects")["Contents"]] == ["top.txt", "web/site/"]
