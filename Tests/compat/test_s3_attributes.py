"""GetObjectAttributes through boto3, for a simple and a multipart object, and the checksum a
multipart object gets from its parts' checksums (S3's composite `…-N`)."""

import base64

from compat_helpers import pattern
from s3_helpers import checksum_b64, s3_error, upload_parts_with_checksums

MiB = 1024 * 1024
ALL = ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"]


def test_attributes_of_a_simple_object(s3_client, bucket):
    put = s3_client.put_object(Bucket=bucket, Key="obj", Body=b"foo", ChecksumAlgorithm="SHA256")
    got = s3_client.get_object_attributes(Bucket=bucket, Key="obj", ObjectAttributes=ALL)
    assert got["ETag"] == put["ETag"].strip('"')
    assert (got["ObjectSize"], got["StorageClass"]) == (3, "STANDARD")
    assert got["Checksum"]["ChecksumSHA256"] == checksum_b64("SHA256", b"foo") == put["ChecksumSHA256"]
    assert got["Checksum"]["ChecksumType"] == "FULL_OBJECT"
    assert "ObjectParts" not in got
    assert got["LastModified"] == s3_client.head_object(Bucket=bucket, Key="obj")["LastModified"]
    only = s3_client.get_object_attributes(Bucket=bucket, Key="obj", ObjectAttributes=["ObjectSize"])
    assert "ETag" not in only and only["ObjectSize"] == 3
    with s3_error("NoSuchKey", 404):
        s3_client.get_object_attributes(Bucket=bucket, Key="none", ObjectAttributes=ALL)


def test_attributes_of_a_multipart_object(s3_client, bucket):
    parts = [pattern(5 * MiB, seed=1), pattern(5 * MiB, seed=2), pattern(5 * MiB, seed=3), b"tail"]
    upload, listed = upload_parts_with_checksums(s3_client, bucket, "mp", parts, "CRC32")
    done = s3_client.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload, MultipartUpload={"Parts": listed})
    # No whole-object checksum was sent: S3 answers with the composite of the parts' checksums.
    composite = checksum_b64("CRC32", b"".join(base64.b64decode(p["ChecksumCRC32"]) for p in listed)) + "-4"
    assert (done["ChecksumCRC32"], done["ChecksumType"]) == (composite, "COMPOSITE")
    head = s3_client.head_object(Bucket=bucket, Key="mp", ChecksumMode="ENABLED")
    assert (head["ChecksumCRC32"], head["ChecksumType"]) == (composite, "COMPOSITE")

    # A read of one part with checksum mode gets that part's checksum (boto3 then checks the
    # part's bytes against it).
    for number in (1, 4):
        part = s3_client.get_object(Bucket=bucket, Key="mp", PartNumber=number, ChecksumMode="ENABLED")
        assert (part["ChecksumCRC32"], part["ChecksumType"]) == (listed[number - 1]["ChecksumCRC32"], "COMPOSITE")
        assert part["Body"].read() == parts[number - 1]

    got = s3_client.get_object_attributes(Bucket=bucket, Key="mp", ObjectAttributes=ALL)
    assert got["ETag"] == done["ETag"].strip('"') and got["ETag"].endswith("-4")
    assert got["ObjectSize"] == sum(len(p) for p in parts)
    assert (got["Checksum"]["ChecksumCRC32"], got["Checksum"]["ChecksumType"]) == (composite, "COMPOSITE")
    object_parts = got["ObjectParts"]
    assert (object_parts["TotalPartsCount"], object_parts["IsTruncated"]) == (4, False)
    assert [(p["PartNumber"], p["Size"], p["ChecksumCRC32"]) for p in object_parts["Parts"]] == \
        [(i + 1, len(p), listed[i]["ChecksumCRC32"]) for i, p in enumerate(parts)]
    page = s3_client.get_object_attributes(Bucket=bucket, Key="mp", ObjectAttributes=["ObjectParts"],
                                           MaxParts=2, PartNumberMarker=1)["ObjectParts"]
    assert [p["PartNumber"] for p in page["Parts"]] == [2, 3]
    assert (page["IsTruncated"], page["NextPartNumberMarker"], page["PartNumberMarker"], page["MaxParts"]) == (True, 3, 1, 2)
    rest = s3_client.get_object_attributes(Bucket=bucket, Key="mp", ObjectAttributes=["ObjectParts"],
                                           PartNumberMarker=3)["ObjectParts"]
    assert [p["PartNumber"] for p in rest["Parts"]] == [4] and rest["IsTruncated"] is False


def test_parts_of_a_multipart_object_without_checksums(s3_client, bucket):
    upload = s3_client.create_multipart_upload(Bucket=bucket, Key="plain")["UploadId"]
    parts = [pattern(5 * MiB, seed=4), b"end"]
    listed = [{"PartNumber": n, "ETag": s3_client.upload_part(Bucket=bucket, Key="plain", UploadId=upload, PartNumber=n,
                                                              Body=data)["ETag"]}
              for n, data in enumerate(parts, start=1)]
    s3_client.complete_multipart_upload(Bucket=bucket, Key="plain", UploadId=upload, MultipartUpload={"Parts": listed})
    got = s3_client.get_object_attributes(Bucket=bucket, Key="plain", ObjectAttributes=ALL)
    assert [(p["PartNumber"], p["Size"]) for p in got["ObjectParts"]["Parts"]] == [(1, 5 * MiB), (2, 3)]
    assert not [k for p in got["ObjectParts"]["Parts"] for k in p if k.startswith("Checksum")]
