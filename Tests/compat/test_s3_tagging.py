"""S3 object and bucket tagging, and Expires, through boto3 (issue #13): the operations, the
headers on writes, S3's limits and errors, and tags following a file through FileREST."""

import datetime as dt

from azure.storage.fileshare import ShareFileClient

from s3_helpers import expect_error, md5_b64, s3_error, signed_request

UTC = dt.timezone.utc


def _tags(s3_client, bucket, key):
    return {t["Key"]: t["Value"] for t in s3_client.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]}


def _tagset(pairs):
    return {"TagSet": [{"Key": k, "Value": v} for k, v in pairs]}


# MARK: Object tagging


def test_put_get_delete_object_tagging(s3_client, bucket):
    s3_client.put_object(Bucket=bucket, Key="doc.txt", Body=b"hello")
    head = s3_client.head_object(Bucket=bucket, Key="doc.txt")
    assert "TagCount" not in head
    assert s3_client.get_object_tagging(Bucket=bucket, Key="doc.txt")["TagSet"] == []

    s3_client.put_object_tagging(Bucket=bucket, Key="doc.txt",
                                 Tagging=_tagset([("project", "alpha"), ("owner", "Zoë B"), ("empty", "")]))
    # S3 returns a tag set in key order.
    assert s3_client.get_object_tagging(Bucket=bucket, Key="doc.txt")["TagSet"] == [
        {"Key": "empty", "Value": ""}, {"Key": "owner", "Value": "Zoë B"}, {"Key": "project", "Value": "alpha"}]
    got = s3_client.get_object(Bucket=bucket, Key="doc.txt")
    assert got["TagCount"] == 3 and got["Body"].read() == b"hello"
    after = s3_client.head_object(Bucket=bucket, Key="doc.txt")
    assert after["TagCount"] == 3
    # Tagging changes neither the ETag nor Last-Modified.
    assert (after["ETag"], after["LastModified"]) == (head["ETag"], head["LastModified"])

    s3_client.put_object_tagging(Bucket=bucket, Key="doc.txt", Tagging=_tagset([("only", "one")]))
    assert _tags(s3_client, bucket, "doc.txt") == {"only": "one"}
    s3_client.put_object_tagging(Bucket=bucket, Key="doc.txt", Tagging={"TagSet": []})
    assert _tags(s3_client, bucket, "doc.txt") == {}

    s3_client.put_object_tagging(Bucket=bucket, Key="doc.txt", Tagging=_tagset([("a", "b")]))
    assert s3_client.delete_object_tagging(Bucket=bucket, Key="doc.txt")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert _tags(s3_client, bucket, "doc.txt") == {}
    assert "TagCount" not in s3_client.head_object(Bucket=bucket, Key="doc.txt")


def test_object_tagging_of_a_missing_object(s3_client, bucket):
    with s3_error("NoSuchKey", 404):
        s3_client.get_object_tagging(Bucket=bucket, Key="none")
    with s3_error("NoSuchKey", 404):
        s3_client.put_object_tagging(Bucket=bucket, Key="none", Tagging=_tagset([("a", "b")]))
    with s3_error("NoSuchKey", 404):
        s3_client.delete_object_tagging(Bucket=bucket, Key="none")
    with s3_error("NoSuchBucket", 404):
        s3_client.get_object_tagging(Bucket=bucket + "-missing", Key="none")


def test_object_tag_limits(s3_client, bucket):
    s3_client.put_object(Bucket=bucket, Key="t", Body=b"x")
    s3_client.put_object_tagging(Bucket=bucket, Key="t", Tagging=_tagset([("keep", "me")]))
    longest = [("k" * 127 + str(i), "v" * 256) for i in range(10)]
    s3_client.put_object_tagging(Bucket=bucket, Key="t", Tagging=_tagset(longest))
    assert _tags(s3_client, bucket, "t") == dict(longest)

    refused = {
        "eleven tags": (_tagset([(f"k{i}", "v") for i in range(11)]), "BadRequest"),
        "key of 129": (_tagset([("k" * 129, "v")]), "InvalidTag"),
        "value of 257": (_tagset([("k", "v" * 257)]), "InvalidTag"),
        "duplicate key": (_tagset([("k", "1"), ("k", "2")]), "InvalidTag"),
        "character outside the set": (_tagset([("a#b", "v")]), "InvalidTag"),
        "system prefix": (_tagset([("aws:x", "v")]), "InvalidTag"),
    }
    for name, (tagging, code) in refused.items():
        with s3_error(code, 400):
            s3_client.put_object_tagging(Bucket=bucket, Key="t", Tagging=tagging)
        assert _tags(s3_client, bucket, "t") == dict(longest), name


def test_malformed_tagging_document(s3_client, bucket, s3_endpoint):
    s3_client.put_object(Bucket=bucket, Key="m", Body=b"x")
    for body in (b"<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>", b"<Tagging>", b"<Tagging/>"):
        for path in (f"/{bucket}/m", f"/{bucket}"):
            reply = signed_request(s3_endpoint, "PUT", path, params={"tagging": ""}, body=body,
                                   headers={"Content-MD5": md5_b64(body)})
            expect_error(reply, "MalformedXML", 400)
    assert _tags(s3_client, bucket, "m") == {}
    with s3_error("NoSuchTagSet", 404):
        s3_client.get_bucket_tagging(Bucket=bucket)
    # The body is checked before it is parsed: a wrong Content-MD5 is BadDigest.
    good = b"<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>"
    reply = signed_request(s3_endpoint, "PUT", f"/{bucket}/m", params={"tagging": ""}, body=good,
                           headers={"Content-MD5": md5_b64(b"other")})
    expect_error(reply, "BadDigest", 400)
    # An empty key (which boto3 will not send) is InvalidTag, on objects and buckets.
    empty = b"<Tagging><TagSet><Tag><Key></Key><Value>v</Value></Tag></TagSet></Tagging>"
    for path in (f"/{bucket}/m", f"/{bucket}"):
        reply = signed_request(s3_endpoint, "PUT", path, params={"tagging": ""}, body=empty,
                               headers={"Content-MD5": md5_b64(empty)})
        expect_error(reply, "InvalidTag", 400)
    assert _tags(s3_client, bucket, "m") == {}


# MARK: Tags on writes


def test_put_object_with_tagging_header(s3_client, bucket):
    # As s3-tests' test_put_obj_with_tags: a key without '=' has the empty value.
    s3_client.put_object(Bucket=bucket, Key="h", Body=b"x", Tagging="foo=bar&bar")
    assert s3_client.get_object_tagging(Bucket=bucket, Key="h")["TagSet"] == [
        {"Key": "bar", "Value": ""}, {"Key": "foo", "Value": "bar"}]
    s3_client.put_object(Bucket=bucket, Key="enc", Body=b"x", Tagging="a%20b=c%2Fd&plus=1+2")
    assert _tags(s3_client, bucket, "enc") == {"a b": "c/d", "plus": "1 2"}
    # An overwrite without tags gives the new object none.
    s3_client.put_object(Bucket=bucket, Key="h", Body=b"y")
    assert _tags(s3_client, bucket, "h") == {}


def test_put_object_with_bad_tagging_header_changes_nothing(s3_client, bucket):
    s3_client.put_object(Bucket=bucket, Key="kept", Body=b"original", Tagging="v=1")
    for header, code in (("a=1&a=2", "InvalidArgument"), ("TagSet=[{Key=string,Value=string}]", "InvalidArgument"),
                         ("&".join(f"k{i}=v" for i in range(11)), "BadRequest"), ("k=" + "v" * 257, "InvalidTag")):
        with s3_error(code, 400):
            s3_client.put_object(Bucket=bucket, Key="kept", Body=b"replaced", Tagging=header)
        with s3_error(code, 400):
            s3_client.put_object(Bucket=bucket, Key="new", Body=b"x", Tagging=header)
    assert s3_client.get_object(Bucket=bucket, Key="kept")["Body"].read() == b"original"
    assert _tags(s3_client, bucket, "kept") == {"v": "1"}
    with s3_error("404", 404):
        s3_client.head_object(Bucket=bucket, Key="new")


def test_copy_object_tagging_directive(s3_client, bucket):
    s3_client.put_object(Bucket=bucket, Key="src", Body=b"source", Tagging="from=source")
    source = {"Bucket": bucket, "Key": "src"}
    s3_client.copy_object(Bucket=bucket, Key="copied", CopySource=source)
    assert _tags(s3_client, bucket, "copied") == {"from": "source"}
    # COPY (the default) ignores the request's tags.
    s3_client.copy_object(Bucket=bucket, Key="copied2", CopySource=source, Tagging="ignored=1", TaggingDirective="COPY")
    assert _tags(s3_client, bucket, "copied2") == {"from": "source"}
    s3_client.copy_object(Bucket=bucket, Key="replaced", CopySource=source, Tagging="new=tag", TaggingDirective="REPLACE")
    assert _tags(s3_client, bucket, "replaced") == {"new": "tag"}
    s3_client.copy_object(Bucket=bucket, Key="cleared", CopySource=source, TaggingDirective="REPLACE")
    assert _tags(s3_client, bucket, "cleared") == {}
    with s3_error("InvalidArgument", 400):
        s3_client.copy_object(Bucket=bucket, Key="bad", CopySource=source, TaggingDirective="MERGE")
    with s3_error("InvalidTag", 400):
        s3_client.copy_object(Bucket=bucket, Key="bad", CopySource=source, Tagging="k#=v", TaggingDirective="REPLACE")
    with s3_error("404", 404):
        s3_client.head_object(Bucket=bucket, Key="bad")
    # The source keeps its own.
    assert _tags(s3_client, bucket, "src") == {"from": "source"}


def test_multipart_upload_tags_apply_at_completion(s3_client, bucket):
    upload = s3_client.create_multipart_upload(Bucket=bucket, Key="mp", Tagging="stage=final&team=data")["UploadId"]
    part = s3_client.upload_part(Bucket=bucket, Key="mp", UploadId=upload, PartNumber=1, Body=b"part one")
    s3_client.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload,
                                        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    assert _tags(s3_client, bucket, "mp") == {"stage": "final", "team": "data"}
    assert s3_client.head_object(Bucket=bucket, Key="mp")["TagCount"] == 2
    with s3_error("InvalidTag", 400):
        s3_client.create_multipart_upload(Bucket=bucket, Key="mp2", Tagging="aws:reserved=1")
    assert s3_client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


# MARK: Expires


def test_expires_is_kept_and_returned(s3_client, bucket):
    when = dt.datetime(2100, 1, 1, 12, 30, tzinfo=UTC)
    s3_client.put_object(Bucket=bucket, Key="e", Body=b"x", Expires=when)
    assert s3_client.head_object(Bucket=bucket, Key="e")["ExpiresString"] == "Fri, 01 Jan 2100 12:30:00 GMT"
    assert s3_client.get_object(Bucket=bucket, Key="e")["ExpiresString"] == "Fri, 01 Jan 2100 12:30:00 GMT"
    # response-expires overrides it on GET, as S3 does.
    overridden = s3_client.get_object(Bucket=bucket, Key="e", ResponseExpires=dt.datetime(2101, 2, 3, tzinfo=UTC))
    assert overridden["ExpiresString"] == "Thu, 03 Feb 2101 00:00:00 GMT"

    s3_client.copy_object(Bucket=bucket, Key="e-copy", CopySource={"Bucket": bucket, "Key": "e"})
    assert s3_client.head_object(Bucket=bucket, Key="e-copy")["ExpiresString"] == "Fri, 01 Jan 2100 12:30:00 GMT"
    s3_client.copy_object(Bucket=bucket, Key="e-new", CopySource={"Bucket": bucket, "Key": "e"},
                          MetadataDirective="REPLACE", Expires=dt.datetime(2200, 5, 6, tzinfo=UTC))
    assert s3_client.head_object(Bucket=bucket, Key="e-new")["ExpiresString"] == "Tue, 06 May 2200 00:00:00 GMT"
    s3_client.copy_object(Bucket=bucket, Key="e-none", CopySource={"Bucket": bucket, "Key": "e"}, MetadataDirective="REPLACE")
    assert "ExpiresString" not in s3_client.head_object(Bucket=bucket, Key="e-none")

    upload = s3_client.create_multipart_upload(Bucket=bucket, Key="e-mp", Expires=when)["UploadId"]
    part = s3_client.upload_part(Bucket=bucket, Key="e-mp", UploadId=upload, PartNumber=1, Body=b"p")
    s3_client.complete_multipart_upload(Bucket=bucket, Key="e-mp", UploadId=upload,
                                        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    assert s3_client.head_object(Bucket=bucket, Key="e-mp")["ExpiresString"] == "Fri, 01 Jan 2100 12:30:00 GMT"
    s3_client.put_object(Bucket=bucket, Key="e", Body=b"y")
    assert "ExpiresString" not in s3_client.head_object(Bucket=bucket, Key="e")


# MARK: Bucket tagging


def test_bucket_tagging(s3_client, bucket):
    with s3_error("NoSuchTagSet", 404):
        s3_client.get_bucket_tagging(Bucket=bucket)
    fifty = [(f"key{i:02}", f"value {i}") for i in range(50)]
    s3_client.put_bucket_tagging(Bucket=bucket, Tagging=_tagset(fifty))
    assert s3_client.get_bucket_tagging(Bucket=bucket)["TagSet"] == _tagset(fifty)["TagSet"]
    for tagging, code in ((_tagset(fifty + [("one", "more")]), "InvalidTag"), (_tagset([("k", "1"), ("k", "2")]), "InvalidTag"),
                          (_tagset([("k" * 129, "v")]), "InvalidTag")):
        with s3_error(code, 400):
            s3_client.put_bucket_tagging(Bucket=bucket, Tagging=tagging)
    assert len(s3_client.get_bucket_tagging(Bucket=bucket)["TagSet"]) == 50
    s3_client.put_bucket_tagging(Bucket=bucket, Tagging=_tagset([("env", "test")]))
    assert s3_client.get_bucket_tagging(Bucket=bucket)["TagSet"] == [{"Key": "env", "Value": "test"}]
    assert s3_client.delete_bucket_tagging(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204
    with s3_error("NoSuchTagSet", 404):
        s3_client.get_bucket_tagging(Bucket=bucket)
    with s3_error("NoSuchBucket", 404):
        s3_client.get_bucket_tagging(Bucket=bucket + "-missing")


def test_bucket_tags_go_with_the_bucket(s3_client, new_bucket_name):
    s3_client.create_bucket(Bucket=new_bucket_name)
    s3_client.put_bucket_tagging(Bucket=new_bucket_name, Tagging=_tagset([("a", "b")]))
    s3_client.delete_bucket(Bucket=new_bucket_name)
    s3_client.create_bucket(Bucket=new_bucket_name)
    try:
        with s3_error("NoSuchTagSet", 404):
            s3_client.get_bucket_tagging(Bucket=new_bucket_name)
    finally:
        s3_client.delete_bucket(Bucket=new_bucket_name)


# MARK: Across protocols


def test_tags_follow_a_file_renamed_through_filerest(s3_client, service, bucket):
    s3_client.put_object(Bucket=bucket, Key="reports/q1.csv", Body=b"a,b\n1,2\n", Tagging="class=secret&year=2026",
                         Metadata={"origin": "s3"})
    share = service.get_share_client(bucket)
    file = share.get_file_client("reports/q1.csv")
    # FileREST shows user metadata only: no tags among it.
    assert file.get_file_properties().metadata == {"origin": "s3"}
    share.create_directory("archive")
    renamed = file.rename_file("archive/q1-final.csv")
    assert _tags(s3_client, bucket, "archive/q1-final.csv") == {"class": "secret", "year": "2026"}
    with s3_error("NoSuchKey", 404):
        s3_client.get_object_tagging(Bucket=bucket, Key="reports/q1.csv")
    # FileREST writes and metadata changes keep them; the metadata stays free of them.
    renamed.upload_range(b"X", offset=0, length=1)
    renamed.set_file_metadata({"reviewed": "yes"})
    assert renamed.get_file_properties().metadata == {"reviewed": "yes"}
    assert _tags(s3_client, bucket, "archive/q1-final.csv") == {"class": "secret", "year": "2026"}
    assert s3_client.get_object(Bucket=bucket, Key="archive/q1-final.csv")["Body"].read() == b"X,b\n1,2\n"


def test_tags_come_back_from_a_snapshot(s3_client, service, conn_str, bucket):
    s3_client.put_object(Bucket=bucket, Key="r.txt", Body=b"v1", Tagging="version=1")
    share = service.get_share_client(bucket)
    snapshot = share.create_snapshot()
    s3_client.put_object_tagging(Bucket=bucket, Key="r.txt", Tagging=_tagset([("version", "2")]))
    # The snapshot holds the tags of the time; a FileREST copy from it brings them back.
    at_snapshot = ShareFileClient.from_connection_string(conn_str, bucket, "r.txt", snapshot=snapshot["snapshot"])
    assert share.get_file_client("r.txt").start_copy_from_url(at_snapshot.url)["copy_status"] == "success"
    assert _tags(s3_client, bucket, "r.txt") == {"version": "1"}
