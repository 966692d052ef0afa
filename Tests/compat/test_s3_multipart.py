"""Multipart uploads: boto3's upload_file/download_file of 50 MiB, and every multipart operation
by hand with its errors; parts stay invisible (to S3 and FileREST) until completion."""

import hashlib
import os

import pytest
from azure.core.exceptions import ResourceNotFoundError
from botocore.exceptions import ClientError

from compat_helpers import KiB, MiB, pattern
from s3_helpers import make_s3_client, md5_hex, multipart_etag, quoted_md5, s3_error

PART = 5 * MiB  # S3's smallest part (except the last)


def _sha256_of_file(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(MiB), b""):
            digest.update(block)
    return digest.hexdigest()


def _assert_invisible(s3_client, service, bucket, key):
    """An object under construction is seen by nobody: not HEAD, not listings, not FileREST."""
    with s3_error("404", 404):
        s3_client.head_object(Bucket=bucket, Key=key)
    listed = s3_client.list_objects_v2(Bucket=bucket)
    assert key not in [o["Key"] for o in listed.get("Contents", [])]
    with pytest.raises(ResourceNotFoundError):
        service.get_share_client(bucket).get_file_client(key).get_file_properties()


@pytest.mark.slow
def test_upload_file_and_download_file_50_mib(s3_endpoint, bucket, tmp_path):
    client = make_s3_client(s3_endpoint)
    calls = []
    client.meta.events.register("before-call.s3", lambda model, **kw: calls.append(model.name))
    size = 50 * MiB
    source = tmp_path / "fifty.bin"
    data = pattern(size, seed=50)
    source.write_bytes(data)

    client.upload_file(str(source), bucket, "big/fifty.bin")
    # boto3's defaults (8 MiB threshold and part size) make this a multipart upload.
    assert calls.count("CreateMultipartUpload") == 1
    assert calls.count("UploadPart") == 7
    assert calls.count("CompleteMultipartUpload") == 1
    parts = [data[i : i + 8 * MiB] for i in range(0, size, 8 * MiB)]

    head = client.head_object(Bucket=bucket, Key="big/fifty.bin")
    assert head["ContentLength"] == size
    assert head["ETag"] == multipart_etag(parts)

    target = tmp_path / "down.bin"
    calls.clear()
    client.download_file(bucket, "big/fifty.bin", str(target))
    assert calls.count("GetObject") > 1  # ranged GETs in parallel
    assert os.path.getsize(target) == size
    assert _sha256_of_file(target) == hashlib.sha256(data).hexdigest()


def test_explicit_multipart_upload(s3_client, service, bucket):
    key = "mp/dir/object.bin"
    sizes = [PART, PART + 123, 300 * KiB]
    parts = [pattern(size, seed=i) for i, size in enumerate(sizes)]
    created = s3_client.create_multipart_upload(Bucket=bucket, Key=key, ContentType="application/x-mp",
                                                Metadata={"stage": "final"}, CacheControl="no-store")
    upload_id = created["UploadId"]
    assert (created["Bucket"], created["Key"]) == (bucket, key)

    etags = []
    for number, body in enumerate(parts, start=1):
        uploaded = s3_client.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=body)
        assert uploaded["ETag"] == quoted_md5(body)
        etags.append(uploaded["ETag"])
        _assert_invisible(s3_client, service, bucket, key)

    listed = s3_client.list_parts(Bucket=bucket, Key=key, UploadId=upload_id)
    assert [(p["PartNumber"], p["Size"], p["ETag"]) for p in listed["Parts"]] == \
        [(n, len(b), quoted_md5(b)) for n, b in enumerate(parts, start=1)]
    assert listed["UploadId"] == upload_id
    assert listed.get("IsTruncated") is False

    page = s3_client.list_parts(Bucket=bucket, Key=key, UploadId=upload_id, MaxParts=2)
    assert [p["PartNumber"] for p in page["Parts"]] == [1, 2]
    assert page["IsTruncated"] is True
    rest = s3_client.list_parts(Bucket=bucket, Key=key, UploadId=upload_id, PartNumberMarker=page["NextPartNumberMarker"])
    assert [p["PartNumber"] for p in rest["Parts"]] == [3]

    uploads = s3_client.list_multipart_uploads(Bucket=bucket)
    assert [(u["Key"], u["UploadId"]) for u in uploads["Uploads"]] == [(key, upload_id)]

    done = s3_client.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, start=1)]})
    assert done["ETag"] == multipart_etag(parts)
    assert done["Key"] == key

    got = s3_client.get_object(Bucket=bucket, Key=key)
    assert got["Body"].read() == b"".join(parts)
    assert got["ContentLength"] == sum(sizes)
    assert got["ETag"] == multipart_etag(parts)
    assert got["ContentType"] == "application/x-mp"
    assert got["CacheControl"] == "no-store"
    assert got["Metadata"] == {"stage": "final"}
    assert s3_client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    with s3_error("NoSuchUpload", 404):
        s3_client.list_parts(Bucket=bucket, Key=key, UploadId=upload_id)
    # A ranged read across the part boundary.
    boundary = s3_client.get_object(Bucket=bucket, Key=key, Range=f"bytes={PART - 10}-{PART + 9}")
    assert boundary["Body"].read() == b"".join(parts)[PART - 10 : PART + 10]


def test_reuploaded_part_replaces_and_parts_may_skip_numbers(s3_client, service, bucket):
    key = "gaps.bin"
    upload_id = s3_client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    first = pattern(PART, seed=1)
    replaced = pattern(PART, seed=11)
    last = b"tail" * 100
    s3_client.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=1, Body=first)
    e1 = s3_client.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=1, Body=replaced)["ETag"]
    e7 = s3_client.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=7, Body=last)["ETag"]
    assert [p["Size"] for p in s3_client.list_parts(Bucket=bucket, Key=key, UploadId=upload_id)["Parts"]] == [PART, 400]
    done = s3_client.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 7, "ETag": e7}]})
    assert done["ETag"] == multipart_etag([replaced, last])
    assert s3_client.get_object(Bucket=bucket, Key=key)["Body"].read() == replaced + last


def test_single_part_upload_and_completing_only_some_parts(s3_client, bucket):
    key = "some.bin"
    upload_id = s3_client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    one = pattern(2 * MiB, seed=3)
    two = pattern(1 * MiB, seed=4)
    e1 = s3_client.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=1, Body=one)["ETag"]
    s3_client.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=2, Body=two)
    # Only part 1 is listed in the completion: it is the last part, so it may be small; part 2 is dropped.
    s3_client.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id,
                                        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}]})
    got = s3_client.get_object(Bucket=bucket, Key=key)
    assert got["Body"].read() == one
    assert got["ETag"] == multipart_etag([one])


def test_abort_multipart_upload(s3_client, service, bucket):
    key = "aborted/obj"
    upload_id = s3_client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    s3_client.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=1, Body=pattern(PART))
    assert s3_client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)["ResponseMetadata"][
        "HTTPStatusCode"] == 204
    _assert_invisible(s3_client, service, bucket, key)
    assert s3_client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    with s3_error("NoSuchUpload", 404):
        s3_client.list_parts(Bucket=bucket, Key=key, UploadId=upload_id)
    with s3_error("NoSuchUpload", 404):
        s3_client.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=2, Body=b"late")
    with s3_error("NoSuchUpload", 404):
        s3_client.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id,
                                            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": quoted_md5(b"")}]})
    with s3_error("NoSuchUpload", 404):
        s3_client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
    # The bucket holds nothing, so it can be deleted.
    s3_client.delete_bucket(Bucket=bucket)


def test_no_such_upload(s3_client, bucket):
    bogus = "this-upload-id-does-not-exist"
    with s3_error("NoSuchUpload", 404):
        s3_client.upload_part(Bucket=bucket, Key="k", UploadId=bogus, PartNumber=1, Body=b"x")
    with s3_error("NoSuchUpload", 404):
        s3_client.list_parts(Bucket=bucket, Key="k", UploadId=bogus)
    with s3_error("NoSuchUpload", 404):
        s3_client.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=bogus,
                                            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": quoted_md5(b"x")}]})
    # An upload id belongs to its key.
    upload_id = s3_client.create_multipart_upload(Bucket=bucket, Key="mine")["UploadId"]
    with s3_error("NoSuchUpload", 404):
        s3_client.upload_part(Bucket=bucket, Key="someone-else", UploadId=upload_id, PartNumber=1, Body=b"x")
    s3_client.abort_multipart_upload(Bucket=bucket, Key="mine", UploadId=upload_id)


def test_completion_errors_leave_the_upload_usable(s3_client, service, bucket):
    key = "errors.bin"
    upload_id = s3_client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    small = pattern(1 * MiB, seed=1)
    big = pattern(PART, seed=2)
    tail = pattern(10 * KiB, seed=3)
    e_small = s3_client.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=1, Body=small)["ETag"]
    e_big = s3_client.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=2, Body=big)["ETag"]
    e_tail = s3_client.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=3, Body=tail)["ETag"]

    def complete(parts):
        return s3_client.complete_multipart_upload(
            Bucket=bucket, Key=key, UploadId=upload_id,
            MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in parts]})

    with s3_error("InvalidPart", 400):
        complete([(2, e_big), (3, quoted_md5(b"not the part"))])
    with s3_error("InvalidPart", 400):
        complete([(2, e_big), (4, e_tail)])  # part 4 was never uploaded
    with s3_error("InvalidPartOrder", 400):
        complete([(3, e_tail), (2, e_big)])
    with s3_error("EntityTooSmall", 400):
        complete([(1, e_small), (2, e_big)])  # a part other than the last under 5 MiB
    _assert_invisible(s3_client, service, bucket, key)

    # None of the failures consumed the upload.
    assert len(s3_client.list_parts(Bucket=bucket, Key=key, UploadId=upload_id)["Parts"]) == 3
    done = complete([(2, e_big), (3, e_tail)])
    assert done["ETag"] == multipart_etag([big, tail])
    assert s3_client.get_object(Bucket=bucket, Key=key)["Body"].read() == big + tail


def test_etags_in_completion_may_be_unquoted(s3_client, bucket):
    upload_id = s3_client.create_multipart_upload(Bucket=bucket, Key="unquoted")["UploadId"]
    body = b"only part"
    s3_client.upload_part(Bucket=bucket, Key="unquoted", UploadId=upload_id, PartNumber=1, Body=body)
    s3_client.complete_multipart_upload(Bucket=bucket, Key="unquoted", UploadId=upload_id,
                                        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": md5_hex(body)}]})
    assert s3_client.get_object(Bucket=bucket, Key="unquoted")["Body"].read() == body


def test_upload_part_copy(s3_client, bucket, new_bucket_name):
    s3_client.create_bucket(Bucket=new_bucket_name)
    source = pattern(6 * MiB, seed=21)
    small_source = pattern(100 * KiB, seed=22)
    s3_client.put_object(Bucket=new_bucket_name, Key="src/big", Body=source)
    s3_client.put_object(Bucket=bucket, Key="src/small", Body=small_source)

    key = "assembled"
    upload_id = s3_client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    first = s3_client.upload_part_copy(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=1,
                                       CopySource={"Bucket": new_bucket_name, "Key": "src/big"},
                                       CopySourceRange=f"bytes=0-{PART - 1}")
    assert first["CopyPartResult"]["ETag"] == quoted_md5(source[:PART])
    second = s3_client.upload_part_copy(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=2,
                                        CopySource={"Bucket": bucket, "Key": "src/small"})
    assert second["CopyPartResult"]["ETag"] == quoted_md5(small_source)
    third = s3_client.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=3, Body=b"plain part")

    # A range past the source's end is refused, never cut short. (AWS answers InvalidArgument
    # 400 "Range specified is not valid for source object of size"; ceph's s3-tests expect
    # InvalidRange: either is fine.)
    with pytest.raises(ClientError) as info:
        s3_client.upload_part_copy(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=4,
                                   CopySource={"Bucket": bucket, "Key": "src/small"},
                                   CopySourceRange=f"bytes=0-{len(small_source)}")
    error = info.value.response
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) in \
        [("InvalidArgument", 400), ("InvalidRange", 416)], error
    with s3_error("NoSuchKey", 404):
        s3_client.upload_part_copy(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=4,
                                   CopySource={"Bucket": bucket, "Key": "src/missing"})

    etags = [first["CopyPartResult"]["ETag"], second["CopyPartResult"]["ETag"], third["ETag"]]
    # With all three, part 2 (100 KiB) is not the last part: too small. Parts 1 and 2 are fine.
    with s3_error("EntityTooSmall", 400):
        s3_client.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={
            "Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, start=1)]})
    done = s3_client.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": etags[0]}, {"PartNumber": 2, "ETag": etags[1]}]})
    expected = source[:PART] + small_source
    assert done["ETag"] == multipart_etag([source[:PART], small_source])
    assert s3_client.get_object(Bucket=bucket, Key=key)["Body"].read() == expected
    # The sources are unchanged.
    assert s3_client.get_object(Bucket=new_bucket_name, Key="src/big")["Body"].read() == source


def test_list_multipart_uploads(s3_client, bucket):
    ids = {}
    for key in ["logs/a", "logs/b", "logs/b", "data/x"]:
        ids.setdefault(key, []).append(s3_client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"])
    listed = s3_client.list_multipart_uploads(Bucket=bucket)
    pairs = [(u["Key"], u["UploadId"]) for u in listed["Uploads"]]
    assert sorted(k for k, _ in pairs) == ["data/x", "logs/a", "logs/b", "logs/b"]
    assert [k for k, _ in pairs] == sorted(k for k, _ in pairs)  # ordered by key
    assert {u for _, u in pairs} == {u for v in ids.values() for u in v}
    for upload in listed["Uploads"]:
        assert upload["Initiated"] is not None

    logs = s3_client.list_multipart_uploads(Bucket=bucket, Prefix="logs/")
    assert sorted(u["Key"] for u in logs["Uploads"]) == ["logs/a", "logs/b", "logs/b"]
    rolled = s3_client.list_multipart_uploads(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in rolled.get("CommonPrefixes", [])] == ["data/", "logs/"]
    assert rolled.get("Uploads", []) == []

    # In-progress uploads are not objects.
    assert s3_client.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    for key, upload_ids in ids.items():
        for upload_id in upload_ids:
            s3_client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
    assert s3_client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_multipart_upload_of_a_key_that_is_a_directory_or_under_a_file(s3_client, bucket):
    s3_client.put_object(Bucket=bucket, Key="dir/child", Body=b"c")
    s3_client.put_object(Bucket=bucket, Key="file", Body=b"f")
    for key, code in [("dir", "ExistingObjectIsDirectory"), ("file/below", "ObjectParentIsFile")]:
        # Refused when the upload is created, or at the latest when it is completed.
        try:
            upload_id = s3_client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
        except ClientError as error:
            assert (error.response["Error"]["Code"], error.response["ResponseMetadata"]["HTTPStatusCode"]) == (code, 409)
            continue
        etag = s3_client.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=1, Body=b"p")["ETag"]
        with s3_error(code, 409):
            s3_client.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id,
                                                MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    assert s3_client.get_object(Bucket=bucket, Key="file")["Body"].read() == b"f"
    assert s3_client.get_object(Bucket=bucket, Key="dir/child")["Body"].read() == b"c"


def test_completion_repeated_after_success_answers_the_same(s3_client, bucket):
    """A client that lost the response to CompleteMultipartUpload and retries it gets the same
    answer (as S3 gives for a while), not NoSuchUpload; other parts are still refused."""
    key = "retried.bin"
    upload_id = s3_client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    body = pattern(PART, seed=7)
    etag = s3_client.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=1, Body=body)["ETag"]
    parts = {"Parts": [{"PartNumber": 1, "ETag": etag}]}
    first = s3_client.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload=parts)
    again = s3_client.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload=parts)
    assert first["ETag"] == again["ETag"] == multipart_etag([body])
    assert s3_client.get_object(Bucket=bucket, Key=key)["Body"].read() == body
    wrong = {"Parts": [{"PartNumber": 1, "ETag": quoted_md5(b"other")}]}
    with s3_error("NoSuchUpload", 404):
        s3_client.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload=wrong)


def test_completion_repeated_reports_the_same_checksum(s3_client, bucket):
    key = "retried-sha.bin"
    upload_id = s3_client.create_multipart_upload(Bucket=bucket, Key=key, ChecksumAlgorithm="SHA256")["UploadId"]
    answer = s3_client.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=1, Body=b"part",
                                   ChecksumAlgorithm="SHA256")
    parts = {"Parts": [{"PartNumber": 1, "ETag": answer["ETag"], "ChecksumSHA256": answer["ChecksumSHA256"]}]}
    first = s3_client.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload=parts)
    again = s3_client.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload=parts)
    assert first["ChecksumSHA256"].endswith("-1")
    assert (again["ETag"], again["ChecksumSHA256"], again["ChecksumType"]) == \
        (first["ETag"], first["ChecksumSHA256"], first["ChecksumType"])


def test_completion_honours_write_conditions(s3_client, bucket):
    key = "guarded.bin"
    s3_client.put_object(Bucket=bucket, Key=key, Body=b"existing")
    upload_id = s3_client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    etag = s3_client.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=1, Body=b"new")["ETag"]
    parts = {"Parts": [{"PartNumber": 1, "ETag": etag}]}
    with s3_error("PreconditionFailed", 412):
        s3_client.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload=parts,
                                            IfNoneMatch="*")
    assert s3_client.get_object(Bucket=bucket, Key=key)["Body"].read() == b"existing"
    s3_client.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload=parts,
                                        IfMatch=quoted_md5(b"existing"))
    assert s3_client.get_object(Bucket=bucket, Key=key)["Body"].read() == b"new"
