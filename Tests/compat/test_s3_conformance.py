"""S3 behaviours real clients and ceph/s3-tests found missing (issue #9), through boto3:
conditional deletes (DeleteObject If-Match, DeleteObjects <ETag>), reading one part of a
multipart object (partNumber on GET and HEAD), and checksums of a whole multipart object."""

import base64

import pytest

from compat_helpers import MiB, pattern
from s3_helpers import checksum_b64, expect_error, quoted_md5, s3_error, signed_request, upload_parts_with_checksums


def test_delete_object_if_match(s3_client, bucket):
    s3_client.put_object(Bucket=bucket, Key="guarded", Body=b"guarded")
    with s3_error("PreconditionFailed", 412):
        s3_client.delete_object(Bucket=bucket, Key="guarded", IfMatch='"00000000000000000000000000000000"')
    with s3_error("PreconditionFailed", 412):
        s3_client.delete_object(Bucket=bucket, Key="guarded", IfMatchSize=3)
    assert s3_client.get_object(Bucket=bucket, Key="guarded")["Body"].read() == b"guarded"
    s3_client.delete_object(Bucket=bucket, Key="guarded", IfMatch=quoted_md5(b"guarded"), IfMatchSize=7)
    with s3_error("404", 404):
        s3_client.head_object(Bucket=bucket, Key="guarded")
    with s3_error("NoSuchKey", 404):
        s3_client.delete_object(Bucket=bucket, Key="guarded", IfMatch=quoted_md5(b"guarded"))


def test_delete_objects_checks_each_etag(s3_client, bucket):
    for key in ("keep", "drop"):
        s3_client.put_object(Bucket=bucket, Key=key, Body=key.encode())
    result = s3_client.delete_objects(Bucket=bucket, Delete={"Objects": [
        {"Key": "keep", "ETag": quoted_md5(b"something else")},
        {"Key": "drop", "ETag": quoted_md5(b"drop")},
    ]})
    assert [d["Key"] for d in result.get("Deleted", [])] == ["drop"]
    assert [(e["Key"], e["Code"]) for e in result.get("Errors", [])] == [("keep", "PreconditionFailed")]
    assert s3_client.get_object(Bucket=bucket, Key="keep")["Body"].read() == b"keep"


@pytest.fixture
def three_part_object(s3_client, bucket):
    parts = [pattern(5 * MiB, seed=1), pattern(5 * MiB, seed=2), b"the short last part"]
    upload = s3_client.create_multipart_upload(Bucket=bucket, Key="parts.bin")["UploadId"]
    etags = [s3_client.upload_part(Bucket=bucket, Key="parts.bin", UploadId=upload, PartNumber=n + 1, Body=data)["ETag"]
             for n, data in enumerate(parts)]
    s3_client.complete_multipart_upload(Bucket=bucket, Key="parts.bin", UploadId=upload, MultipartUpload={
        "Parts": [{"PartNumber": n + 1, "ETag": etag} for n, etag in enumerate(etags)]})
    return parts


def test_get_and_head_one_part(s3_client, bucket, three_part_object):
    parts = three_part_object
    total = sum(len(p) for p in parts)
    for number, data in enumerate(parts, start=1):
        response = s3_client.get_object(Bucket=bucket, Key="parts.bin", PartNumber=number)
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 206
        assert response["PartsCount"] == 3
        assert response["Body"].read() == data
        start = sum(len(p) for p in parts[:number - 1])
        assert response["ContentRange"] == f"bytes {start}-{start + len(data) - 1}/{total}"
    head = s3_client.head_object(Bucket=bucket, Key="parts.bin", PartNumber=3)
    assert (head["ContentLength"], head["PartsCount"]) == (len(parts[2]), 3)
    assert head["ETag"].endswith('-3"')
    with s3_error("InvalidPartNumber", 416):
        s3_client.get_object(Bucket=bucket, Key="parts.bin", PartNumber=4)


@pytest.mark.parametrize("number", ["0", "-1", "abc"])
def test_invalid_part_numbers_are_invalid_argument(s3_endpoint, s3_client, bucket, number):
    # boto3 validates PartNumber as an integer, so these go out signed by hand.
    s3_client.put_object(Bucket=bucket, Key="single", Body=b"single")
    response = signed_request(s3_endpoint, "GET", f"/{bucket}/single", params={"partNumber": number})
    expect_error(response, "InvalidArgument", 400)


def test_part_one_of_a_single_part_object_is_all_of_it(s3_client, bucket):
    s3_client.put_object(Bucket=bucket, Key="single", Body=b"single")
    assert s3_client.get_object(Bucket=bucket, Key="single", PartNumber=1)["Body"].read() == b"single"
    with s3_error("InvalidPartNumber", 416):
        s3_client.get_object(Bucket=bucket, Key="single", PartNumber=2)


def test_non_ascii_metadata_values_come_back_as_the_bytes_sent(s3_client, bucket):
    # botocore sends header values as UTF-8 bytes and reads response headers as Latin-1 (as
    # http.client does), so the bytes sent are what `.encode("latin-1")` of the value read gives.
    values = {"plain": "Hello World\u00e9", "rfc2047": "=?UTF-8?B?w6k=?="}

    def inject(params, **kwargs):
        for name, value in values.items():
            params["headers"][f"x-amz-meta-{name}"] = value

    s3_client.meta.events.register("before-call.s3.PutObject", inject)
    try:
        s3_client.put_object(Bucket=bucket, Key="accented", Body=b"x")
    finally:
        s3_client.meta.events.unregister("before-call.s3.PutObject", inject)
    got = s3_client.head_object(Bucket=bucket, Key="accented")["Metadata"]
    assert {name: value.encode("latin-1") for name, value in got.items()} == \
        {name: value.encode("utf-8") for name, value in values.items()}


def test_completion_checksum_header_is_the_whole_objects(s3_client, bucket):
    parts = [pattern(5 * MiB, seed=7), pattern(5 * MiB, seed=8), b"tail"]
    upload, listed = upload_parts_with_checksums(s3_client, bucket, "summed", parts, "CRC32")
    joined = b"".join(base64.b64decode(part["ChecksumCRC32"]) for part in listed)
    composite = checksum_b64("CRC32", joined) + "-3"
    wrong = checksum_b64("CRC32", b"not the parts") + "-3"
    with s3_error("BadDigest", 400):
        s3_client.complete_multipart_upload(Bucket=bucket, Key="summed", UploadId=upload, ChecksumCRC32=wrong,
                                            MultipartUpload={"Parts": listed})
    # A full-object value where the type says composite is not the composite's form.
    with s3_error("InvalidRequest", 400):
        s3_client.complete_multipart_upload(Bucket=bucket, Key="summed", UploadId=upload, ChecksumType="COMPOSITE",
                                            ChecksumCRC32=checksum_b64("CRC32", b"".join(parts)),
                                            MultipartUpload={"Parts": listed})
    with s3_error("404", 404):
        s3_client.head_object(Bucket=bucket, Key="summed")
    done = s3_client.complete_multipart_upload(Bucket=bucket, Key="summed", UploadId=upload, ChecksumCRC32=composite,
                                               MultipartUpload={"Parts": listed})
    assert (done["ChecksumCRC32"], done["ChecksumType"]) == (composite, "COMPOSITE")
    assert s3_client.get_object(Bucket=bucket, Key="summed")["Body"].read() == b"".join(parts)


@pytest.mark.parametrize("algorithm", ["CRC32", "CRC32C", "CRC64NVME"])
def test_full_object_checksums_of_multipart_uploads(s3_client, bucket, algorithm):
    """FULL_OBJECT: the CRC of the assembled object, which the server derives from the parts'
    CRCs and sizes; a wrong one is BadDigest and completes nothing."""
    parts = [pattern(5 * MiB + 3, seed=20), pattern(5 * MiB, seed=21), b"last bytes"]
    whole = b"".join(parts)
    key = f"full-{algorithm.lower()}"
    upload = s3_client.create_multipart_upload(Bucket=bucket, Key=key, ChecksumAlgorithm=algorithm,
                                               ChecksumType="FULL_OBJECT")["UploadId"]
    listed = []
    for number, data in enumerate(parts, start=1):
        answer = s3_client.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=number, Body=data,
                                       ChecksumAlgorithm=algorithm)
        listed.append({"PartNumber": number, "ETag": answer["ETag"]})
    field = "Checksum" + algorithm
    with s3_error("BadDigest", 400):
        s3_client.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload, ChecksumType="FULL_OBJECT",
                                            MultipartUpload={"Parts": listed}, **{field: checksum_b64(algorithm, b"other")})
    with s3_error("404", 404):
        s3_client.head_object(Bucket=bucket, Key=key)
    done = s3_client.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload, ChecksumType="FULL_OBJECT",
                                               MultipartUpload={"Parts": listed},
                                               **{field: checksum_b64(algorithm, whole)})
    assert (done[field], done["ChecksumType"]) == (checksum_b64(algorithm, whole), "FULL_OBJECT")
    assert s3_client.get_object(Bucket=bucket, Key=key)["Body"].read() == whole
    # A part read with checksum mode carries the part's own checksum and the object's type.
    second = s3_client.get_object(Bucket=bucket, Key=key, PartNumber=2, ChecksumMode="ENABLED")
    assert (second[field], second["ChecksumType"]) == (checksum_b64(algorithm, parts[1]), "FULL_OBJECT")
    assert second["Body"].read() == parts[1]


def test_full_object_checksum_is_computed_when_only_the_type_is_given(s3_client, bucket):
    parts = [pattern(5 * MiB, seed=30), b"end"]
    upload = s3_client.create_multipart_upload(Bucket=bucket, Key="typed", ChecksumAlgorithm="CRC32C",
                                               ChecksumType="FULL_OBJECT")["UploadId"]
    listed = [{"PartNumber": n, "ETag": s3_client.upload_part(Bucket=bucket, Key="typed", UploadId=upload, PartNumber=n,
                                                              Body=data, ChecksumAlgorithm="CRC32C")["ETag"]}
              for n, data in enumerate(parts, start=1)]
    done = s3_client.complete_multipart_upload(Bucket=bucket, Key="typed", UploadId=upload, ChecksumType="FULL_OBJECT",
                                               MultipartUpload={"Parts": listed})
    assert done["ChecksumCRC32C"] == checksum_b64("CRC32C", b"".join(parts))
    # SHA-256 has no full-object form.
    sha = s3_client.create_multipart_upload(Bucket=bucket, Key="sha", ChecksumAlgorithm="SHA256")["UploadId"]
    etag = s3_client.upload_part(Bucket=bucket, Key="sha", UploadId=sha, PartNumber=1, Body=b"x",
                                 ChecksumAlgorithm="SHA256")["ETag"]
    with s3_error("InvalidRequest", 400):
        s3_client.complete_multipart_upload(Bucket=bucket, Key="sha", UploadId=sha, ChecksumType="FULL_OBJECT",
                                            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
