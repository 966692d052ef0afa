"""S3 options this server does not give are refused, not accepted and ignored (issue #9):
DSSE-KMS, S3 Bucket Keys, Object Lock, other storage classes (ACLs are applied: test_s3_access.py; tags and
Expires are kept: test_s3_tagging.py; SSE-S3 and SSE-C are applied: test_s3_encryption.py). Values that describe what the server does anyway (the private ACL, a grant to
the one owner, STANDARD storage) are accepted, so clients that send them by default work."""

import datetime as dt

import pytest

from compat_helpers import ACCOUNT
from s3_helpers import s3_error

SSE_C_KEY = b"k" * 32
UTC = dt.timezone.utc


def _assert_missing(s3_client, bucket, key):
    with s3_error("404", 404):
        s3_client.head_object(Bucket=bucket, Key=key)


REFUSED_PUT_OPTIONS = {
    "dsse-kms": dict(ServerSideEncryption="aws:kms:dsse", SSEKMSKeyId="alias/key"),
    "bucket-key": dict(ServerSideEncryption="aws:kms", SSEKMSKeyId="alias/key", BucketKeyEnabled=True),
    "object-lock": dict(ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=dt.datetime(2100, 1, 1, tzinfo=UTC)),
    "legal-hold": dict(ObjectLockLegalHoldStatus="ON"),
    "storage-class": dict(StorageClass="GLACIER"),
    "website-redirect": dict(WebsiteRedirectLocation="/elsewhere"),
}


CONTRADICTORY_ENCRYPTION = {
    "unknown-method": dict(ServerSideEncryption="aes:kms"),
    "sse-s3-and-sse-c": dict(ServerSideEncryption="AES256", SSECustomerAlgorithm="AES256", SSECustomerKey=SSE_C_KEY),
    "sse-kms-and-sse-c": dict(ServerSideEncryption="aws:kms", SSECustomerAlgorithm="AES256", SSECustomerKey=SSE_C_KEY),
    "kms-key-without-kms": dict(ServerSideEncryption="AES256", SSEKMSKeyId="alias/key"),
}


@pytest.mark.parametrize("options", CONTRADICTORY_ENCRYPTION.values(), ids=CONTRADICTORY_ENCRYPTION.keys())
def test_contradictory_encryption_headers_are_invalid(s3_client, bucket, options):
    """As S3 answers: 400 InvalidArgument, before whether encryption is supported matters."""
    with s3_error("InvalidArgument", 400):
        s3_client.put_object(Bucket=bucket, Key="contradictory", Body=b"x", **options)
    with s3_error("InvalidArgument", 400):
        s3_client.create_multipart_upload(Bucket=bucket, Key="contradictory", **options)
    _assert_missing(s3_client, bucket, "contradictory")


@pytest.mark.parametrize("options", REFUSED_PUT_OPTIONS.values(), ids=REFUSED_PUT_OPTIONS.keys())
def test_put_object_refuses_what_it_would_ignore(s3_client, bucket, options):
    with s3_error("NotImplemented", 501):
        s3_client.put_object(Bucket=bucket, Key="refused", Body=b"secret", **options)
    _assert_missing(s3_client, bucket, "refused")


@pytest.mark.parametrize("options", REFUSED_PUT_OPTIONS.values(), ids=REFUSED_PUT_OPTIONS.keys())
def test_copy_and_multipart_refuse_them_too(s3_client, bucket, options):
    s3_client.put_object(Bucket=bucket, Key="source", Body=b"source")
    with s3_error("NotImplemented", 501):
        s3_client.copy_object(Bucket=bucket, Key="copied", CopySource={"Bucket": bucket, "Key": "source"},
                              MetadataDirective="REPLACE", **options)
    _assert_missing(s3_client, bucket, "copied")
    with s3_error("NotImplemented", 501):
        s3_client.create_multipart_upload(Bucket=bucket, Key="parts", **options)
    assert s3_client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_a_replaced_object_stays_as_it_was(s3_client, bucket):
    s3_client.put_object(Bucket=bucket, Key="kept", Body=b"original")
    with s3_error("NotImplemented", 501):
        s3_client.put_object(Bucket=bucket, Key="kept", Body=b"locked", ObjectLockMode="COMPLIANCE",
                             ObjectLockRetainUntilDate=dt.datetime(2100, 1, 1, tzinfo=UTC))
    assert s3_client.get_object(Bucket=bucket, Key="kept")["Body"].read() == b"original"


def test_sse_c_over_plain_http_on_upload_part_and_on_reads(s3_client, bucket):
    """A customer key sent over plain HTTP is refused (as S3 does), whatever the operation."""
    upload = s3_client.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    with s3_error("InvalidRequest", 400):
        s3_client.upload_part(Bucket=bucket, Key="mp", UploadId=upload, PartNumber=1, Body=b"x",
                              SSECustomerAlgorithm="AES256", SSECustomerKey=SSE_C_KEY)
    assert s3_client.list_parts(Bucket=bucket, Key="mp", UploadId=upload).get("Parts", []) == []
    s3_client.abort_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload)
    s3_client.put_object(Bucket=bucket, Key="plain", Body=b"plain")
    with s3_error("InvalidRequest", 400):
        s3_client.get_object(Bucket=bucket, Key="plain", SSECustomerAlgorithm="AES256", SSECustomerKey=SSE_C_KEY)


def test_what_describes_the_server_is_accepted(s3_client, bucket):
    # rclone sends `x-amz-acl: private` by default; a grant of full control to the one owner and
    # the bucket-owner ACLs mean the same with one account; STANDARD is every object's class.
    accepted = [
        dict(ACL="private"),
        dict(ACL="bucket-owner-full-control"),
        dict(ACL="bucket-owner-read"),
        dict(GrantFullControl=f'id="{ACCOUNT}"'),
        dict(StorageClass="STANDARD"),
        dict(ObjectLockLegalHoldStatus="OFF"),
        dict(Tagging=""),
    ]
    for index, options in enumerate(accepted):
        key = f"accepted-{index}"
        s3_client.put_object(Bucket=bucket, Key=key, Body=b"ok", **options)
        assert s3_client.get_object(Bucket=bucket, Key=key)["Body"].read() == b"ok"
    s3_client.copy_object(Bucket=bucket, Key="copy-private", CopySource={"Bucket": bucket, "Key": "accepted-0"}, ACL="private")
    upload = s3_client.create_multipart_upload(Bucket=bucket, Key="mp-private", ACL="private", StorageClass="STANDARD")
    s3_client.abort_multipart_upload(Bucket=bucket, Key="mp-private", UploadId=upload["UploadId"])


def test_unknown_acl_and_storage_class_are_invalid(s3_client, bucket):
    with s3_error("InvalidArgument", 400):
        s3_client.put_object(Bucket=bucket, Key="bad-acl", Body=b"x", ACL="everyone-please")
    with s3_error("InvalidStorageClass", 400):
        s3_client.put_object(Bucket=bucket, Key="bad-class", Body=b"x", StorageClass="COLD_AS_ICE")
    _assert_missing(s3_client, bucket, "bad-acl")
    _assert_missing(s3_client, bucket, "bad-class")


@pytest.mark.parametrize("options", [
    dict(ObjectLockEnabledForBucket=True),
], ids=["object-lock"])
def test_create_bucket_refuses_what_it_would_ignore(s3_client, new_bucket_name, options):
    with s3_error("NotImplemented", 501):
        s3_client.create_bucket(Bucket=new_bucket_name, **options)
    with s3_error("404", 404):
        s3_client.head_bucket(Bucket=new_bucket_name)


def test_create_bucket_accepts_the_private_acl_and_owner_settings(s3_client, new_bucket_name):
    s3_client.create_bucket(Bucket=new_bucket_name, ACL="private", ObjectLockEnabledForBucket=False,
                            ObjectOwnership="BucketOwnerEnforced")
    assert s3_client.head_bucket(Bucket=new_bucket_name)["ResponseMetadata"]["HTTPStatusCode"] == 200
