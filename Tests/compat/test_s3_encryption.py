"""Server-side encryption at rest through boto3 (issue #13): SSE-S3 (the store's key), SSE-C
(the client's key, over HTTPS as S3 requires), default bucket encryption, copies and multipart
uploads between encryptions, the bytes really encrypted in the data file, and the same files
seen through FileREST (an SSE-S3 object reads normally, an SSE-C object is refused)."""

import base64
import hashlib
import os
from pathlib import Path

import pytest
from azure.core.exceptions import HttpResponseError
from azure.storage.fileshare import ShareFileClient

from compat_helpers import connection_string, unique_name
from s3_helpers import make_s3_client, s3_error

PART = 5 * 1024 * 1024


def _marker() -> bytes:
    """A run of bytes no other test writes, long enough to find in the data file."""
    return (os.urandom(16).hex().encode() + b"-sharecore-plaintext-") * 4096


def _in_data_file(data_dir: str, needle: bytes) -> bool:
    """Whether `needle` (its first 64 bytes) lies anywhere in the store's data file."""
    return needle[:64] in Path(data_dir, "data.mdb").read_bytes()


def _sse_c(key: bytes) -> dict:
    return dict(SSECustomerAlgorithm="AES256", SSECustomerKey=key)


def _source_sse_c(key: bytes) -> dict:
    return dict(CopySourceSSECustomerAlgorithm="AES256", CopySourceSSECustomerKey=key)


# MARK: SSE-S3


def test_sse_s3_object_is_encrypted_on_disk_and_reads_back(s3_client, server, bucket):
    secret = _marker()
    put = s3_client.put_object(Bucket=bucket, Key="dir/secret.bin", Body=secret, ServerSideEncryption="AES256")
    assert put["ServerSideEncryption"] == "AES256"
    assert not _in_data_file(server.data_dir, secret)
    got = s3_client.get_object(Bucket=bucket, Key="dir/secret.bin")
    assert got["ServerSideEncryption"] == "AES256"
    assert got["Body"].read() == secret
    assert got["ETag"] == '"' + hashlib.md5(secret).hexdigest() + '"'
    assert s3_client.head_object(Bucket=bucket, Key="dir/secret.bin")["ServerSideEncryption"] == "AES256"
    ranged = s3_client.get_object(Bucket=bucket, Key="dir/secret.bin", Range="bytes=70000-70099")
    assert ranged["Body"].read() == secret[70000:70100]
    # The control: the same kind of bytes written without encryption are found in the file.
    plain = _marker()
    s3_client.put_object(Bucket=bucket, Key="dir/plain.bin", Body=plain)
    assert _in_data_file(server.data_dir, plain)
    assert "ServerSideEncryption" not in s3_client.head_object(Bucket=bucket, Key="dir/plain.bin")


def test_sse_s3_object_reads_and_writes_through_filerest(s3_client, server, conn_str, bucket):
    secret = _marker()
    s3_client.put_object(Bucket=bucket, Key="shared.bin", Body=secret, ServerSideEncryption="AES256")
    file = ShareFileClient.from_connection_string(conn_str, bucket, "shared.bin")
    assert file.download_file().readall() == secret
    # A FileREST range write into the object is sealed with the store's key too.
    patch = _marker()[:4096]
    file.upload_range(patch, offset=8192, length=len(patch))
    expected = secret[:8192] + patch + secret[8192 + len(patch):]
    assert s3_client.get_object(Bucket=bucket, Key="shared.bin")["Body"].read() == expected
    assert not _in_data_file(server.data_dir, patch)


def test_sse_s3_multipart_upload(s3_client, server, bucket):
    data = (_marker() * 30)[: PART + 5000]
    created = s3_client.create_multipart_upload(Bucket=bucket, Key="mp.bin", ServerSideEncryption="AES256")
    assert created["ServerSideEncryption"] == "AES256"
    upload = created["UploadId"]
    first = s3_client.upload_part(Bucket=bucket, Key="mp.bin", UploadId=upload, PartNumber=1, Body=data[:PART])
    assert first["ServerSideEncryption"] == "AES256"
    second = s3_client.upload_part(Bucket=bucket, Key="mp.bin", UploadId=upload, PartNumber=2, Body=data[PART:])
    done = s3_client.complete_multipart_upload(Bucket=bucket, Key="mp.bin", UploadId=upload, MultipartUpload={"Parts": [
        {"PartNumber": 1, "ETag": first["ETag"]}, {"PartNumber": 2, "ETag": second["ETag"]}]})
    assert done["ServerSideEncryption"] == "AES256"
    assert s3_client.get_object(Bucket=bucket, Key="mp.bin")["Body"].read() == data
    assert not _in_data_file(server.data_dir, data[:PART])


def test_copy_changes_encryption_both_ways(s3_client, server, bucket):
    plain = _marker()
    s3_client.put_object(Bucket=bucket, Key="plain.bin", Body=plain)
    copied = s3_client.copy_object(Bucket=bucket, Key="sealed.bin", CopySource={"Bucket": bucket, "Key": "plain.bin"},
                                   ServerSideEncryption="AES256")
    assert copied["ServerSideEncryption"] == "AES256"
    assert s3_client.head_object(Bucket=bucket, Key="sealed.bin")["ServerSideEncryption"] == "AES256"
    assert s3_client.get_object(Bucket=bucket, Key="sealed.bin")["Body"].read() == plain
    back = s3_client.copy_object(Bucket=bucket, Key="plain-again.bin", CopySource={"Bucket": bucket, "Key": "sealed.bin"})
    assert "ServerSideEncryption" not in back
    assert s3_client.get_object(Bucket=bucket, Key="plain-again.bin")["Body"].read() == plain
    # Copying an object onto itself to encrypt it is allowed (S3's way to encrypt in place).
    s3_client.copy_object(Bucket=bucket, Key="plain.bin", CopySource={"Bucket": bucket, "Key": "plain.bin"},
                          ServerSideEncryption="AES256")
    assert s3_client.head_object(Bucket=bucket, Key="plain.bin")["ServerSideEncryption"] == "AES256"
    assert s3_client.get_object(Bucket=bucket, Key="plain.bin")["Body"].read() == plain


def test_kms_needs_a_configured_key(s3_client, bucket):
    """The session's server has no KMS keys (--s3-kms-key-id): SSE-KMS names none it knows."""
    with s3_error("InvalidArgument", 400):
        s3_client.put_object(Bucket=bucket, Key="kms", Body=b"x", ServerSideEncryption="aws:kms")
    with s3_error("KMS.NotFoundException", 400):
        s3_client.put_object(Bucket=bucket, Key="kms", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId="nokey")
    with s3_error("NotImplemented", 501):
        s3_client.put_object(Bucket=bucket, Key="kms", Body=b"x", ServerSideEncryption="aws:kms:dsse", SSEKMSKeyId="k")
    with s3_error("404", 404):
        s3_client.head_object(Bucket=bucket, Key="kms")


# MARK: Default bucket encryption


def test_default_bucket_encryption(s3_client, server, bucket):
    with s3_error("ServerSideEncryptionConfigurationNotFoundError", 404):
        s3_client.get_bucket_encryption(Bucket=bucket)
    rules = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}
    s3_client.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=rules)
    got = s3_client.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
    assert got["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    secret = _marker()
    assert s3_client.put_object(Bucket=bucket, Key="by-default.bin", Body=secret)["ServerSideEncryption"] == "AES256"
    assert not _in_data_file(server.data_dir, secret)
    assert s3_client.get_object(Bucket=bucket, Key="by-default.bin")["Body"].read() == secret

    kms = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "k"}}]}
    with s3_error("KMS.NotFoundException", 400):
        s3_client.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=kms)
    dsse = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms:dsse", "KMSMasterKeyID": "k"}}]}
    with s3_error("NotImplemented", 501):
        s3_client.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=dsse)
    assert s3_client.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"] == got

    assert s3_client.delete_bucket_encryption(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204
    with s3_error("ServerSideEncryptionConfigurationNotFoundError", 404):
        s3_client.get_bucket_encryption(Bucket=bucket)
    assert "ServerSideEncryption" not in s3_client.put_object(Bucket=bucket, Key="after.bin", Body=b"plain")


# MARK: SSE-C


def test_sse_c_over_plain_http_is_refused(s3_client, bucket):
    """S3 refuses customer keys outside HTTPS: the key would have travelled in the clear."""
    with s3_error("InvalidRequest", 400):
        s3_client.put_object(Bucket=bucket, Key="sse-c", Body=b"x", **_sse_c(os.urandom(32)))
    with s3_error("404", 404):
        s3_client.head_object(Bucket=bucket, Key="sse-c")


@pytest.fixture(scope="module")
def tls_server(server_factory):
    return server_factory.start(server_factory.data_dir("sse-tls"), tls=server_factory.certificate(),
                                extra_args=["--s3-kms-key-id", "app-key", "--s3-kms-key-id", "other-key"])


@pytest.fixture
def tls_s3(tls_server):
    return make_s3_client(tls_server.s3_endpoint, verify=tls_server.ca_file)


@pytest.fixture
def tls_bucket(tls_s3):
    name = unique_name("sse")
    tls_s3.create_bucket(Bucket=name)
    return name


def test_sse_c_round_trip_and_wrong_keys(tls_s3, tls_server, tls_bucket):
    key, other = os.urandom(32), os.urandom(32)
    secret = _marker()
    put = tls_s3.put_object(Bucket=tls_bucket, Key="c.bin", Body=secret, **_sse_c(key))
    assert put["SSECustomerAlgorithm"] == "AES256"
    assert put["SSECustomerKeyMD5"] == base64.b64encode(hashlib.md5(key).digest()).decode()
    assert not _in_data_file(tls_server.data_dir, secret)
    got = tls_s3.get_object(Bucket=tls_bucket, Key="c.bin", **_sse_c(key))
    assert got["Body"].read() == secret
    assert got["SSECustomerKeyMD5"] == put["SSECustomerKeyMD5"]
    ranged = tls_s3.get_object(Bucket=tls_bucket, Key="c.bin", Range="bytes=65530-65560", **_sse_c(key))
    assert ranged["Body"].read() == secret[65530:65561]
    assert tls_s3.head_object(Bucket=tls_bucket, Key="c.bin", **_sse_c(key))["ContentLength"] == len(secret)
    with s3_error("InvalidRequest", 400):
        tls_s3.get_object(Bucket=tls_bucket, Key="c.bin")
    with s3_error("InvalidRequest", 400):
        tls_s3.get_object(Bucket=tls_bucket, Key="c.bin", **_sse_c(other))
    with s3_error("400", 400):
        tls_s3.head_object(Bucket=tls_bucket, Key="c.bin")
    # The object still lists (its ETag needs no key).
    assert [o["Key"] for o in tls_s3.list_objects_v2(Bucket=tls_bucket)["Contents"]] == ["c.bin"]


def test_sse_c_header_errors(tls_s3, tls_bucket):
    key = os.urandom(32)
    good_md5 = base64.b64encode(hashlib.md5(key).digest()).decode()

    def put_with(headers):
        def add(params, **_):
            params["headers"].update(headers)
        tls_s3.meta.events.register("before-call.s3.PutObject", add)
        try:
            tls_s3.put_object(Bucket=tls_bucket, Key="bad", Body=b"x")
        finally:
            tls_s3.meta.events.unregister("before-call.s3.PutObject", add)

    encoded = base64.b64encode(key).decode()
    cases = [
        ({"x-amz-server-side-encryption-customer-algorithm": "AES256", "x-amz-server-side-encryption-customer-key": encoded,
          "x-amz-server-side-encryption-customer-key-MD5": "AAAAAAAAAAAAAAAAAAAAAA=="}, "InvalidArgument"),
        ({"x-amz-server-side-encryption-customer-algorithm": "AES256", "x-amz-server-side-encryption-customer-key": encoded},
         "InvalidArgument"),
        ({"x-amz-server-side-encryption-customer-algorithm": "AES256"}, "InvalidArgument"),
        ({"x-amz-server-side-encryption-customer-key": encoded, "x-amz-server-side-encryption-customer-key-MD5": good_md5},
         "InvalidArgument"),
        ({"x-amz-server-side-encryption-customer-algorithm": "AES256",
          "x-amz-server-side-encryption-customer-key": base64.b64encode(b"short").decode(),
          "x-amz-server-side-encryption-customer-key-MD5": base64.b64encode(hashlib.md5(b"short").digest()).decode()},
         "InvalidArgument"),
        ({"x-amz-server-side-encryption-customer-algorithm": "DES", "x-amz-server-side-encryption-customer-key": encoded,
          "x-amz-server-side-encryption-customer-key-MD5": good_md5}, "InvalidEncryptionAlgorithmError"),
    ]
    for headers, code in cases:
        with s3_error(code, 400):
            put_with(headers)
    with s3_error("404", 404):
        tls_s3.head_object(Bucket=tls_bucket, Key="bad")


def test_sse_c_object_through_filerest_is_refused(tls_s3, tls_server, tls_bucket):
    key = os.urandom(32)
    tls_s3.put_object(Bucket=tls_bucket, Key="locked.bin", Body=b"only with the key", **_sse_c(key))
    file = ShareFileClient.from_connection_string(connection_string(tls_server.endpoint), tls_bucket, "locked.bin",
                                                  connection_verify=tls_server.ca_file)
    with pytest.raises(HttpResponseError) as info:
        file.download_file().readall()
    assert info.value.status_code == 409
    assert info.value.error_code == "FileUsesCustomerSpecifiedEncryption"
    with pytest.raises(HttpResponseError) as info:
        file.upload_range(b"overwrite", offset=0, length=9)
    assert info.value.status_code == 409
    # Properties need no key, and the content is unchanged.
    assert file.get_file_properties().size == len(b"only with the key")
    assert tls_s3.get_object(Bucket=tls_bucket, Key="locked.bin", **_sse_c(key))["Body"].read() == b"only with the key"


def test_sse_c_copies_re_encrypt(tls_s3, tls_bucket):
    first, second = os.urandom(32), os.urandom(32)
    data = _marker()
    tls_s3.put_object(Bucket=tls_bucket, Key="a.bin", Body=data, **_sse_c(first))
    source = {"Bucket": tls_bucket, "Key": "a.bin"}
    with s3_error("InvalidRequest", 400):
        tls_s3.copy_object(Bucket=tls_bucket, Key="b.bin", CopySource=source)
    copied = tls_s3.copy_object(Bucket=tls_bucket, Key="b.bin", CopySource=source, **_source_sse_c(first), **_sse_c(second))
    assert copied["SSECustomerKeyMD5"] == base64.b64encode(hashlib.md5(second).digest()).decode()
    assert tls_s3.get_object(Bucket=tls_bucket, Key="b.bin", **_sse_c(second))["Body"].read() == data
    with s3_error("InvalidRequest", 400):
        tls_s3.get_object(Bucket=tls_bucket, Key="b.bin", **_sse_c(first))
    tls_s3.copy_object(Bucket=tls_bucket, Key="s3.bin", CopySource=source, **_source_sse_c(first), ServerSideEncryption="AES256")
    assert tls_s3.get_object(Bucket=tls_bucket, Key="s3.bin")["Body"].read() == data
    tls_s3.copy_object(Bucket=tls_bucket, Key="same.bin", CopySource=source, **_source_sse_c(first), **_sse_c(first))
    assert tls_s3.get_object(Bucket=tls_bucket, Key="same.bin", **_sse_c(first))["Body"].read() == data


def test_sse_c_multipart_upload_and_part_copy(tls_s3, tls_bucket):
    key = os.urandom(32)
    data = os.urandom(PART) + os.urandom(1234)
    upload = tls_s3.create_multipart_upload(Bucket=tls_bucket, Key="mp.bin", **_sse_c(key))["UploadId"]
    with s3_error("InvalidRequest", 400):
        tls_s3.upload_part(Bucket=tls_bucket, Key="mp.bin", UploadId=upload, PartNumber=1, Body=data[:PART])
    with s3_error("InvalidRequest", 400):
        tls_s3.upload_part(Bucket=tls_bucket, Key="mp.bin", UploadId=upload, PartNumber=1, Body=data[:PART],
                           **_sse_c(os.urandom(32)))
    first = tls_s3.upload_part(Bucket=tls_bucket, Key="mp.bin", UploadId=upload, PartNumber=1, Body=data[:PART], **_sse_c(key))
    # The second part is copied from an unencrypted object: its bytes are sealed with the upload's key.
    tls_s3.put_object(Bucket=tls_bucket, Key="tail.bin", Body=data[PART:])
    second = tls_s3.upload_part_copy(Bucket=tls_bucket, Key="mp.bin", UploadId=upload, PartNumber=2,
                                     CopySource={"Bucket": tls_bucket, "Key": "tail.bin"}, **_sse_c(key))
    tls_s3.complete_multipart_upload(Bucket=tls_bucket, Key="mp.bin", UploadId=upload, MultipartUpload={"Parts": [
        {"PartNumber": 1, "ETag": first["ETag"]}, {"PartNumber": 2, "ETag": second["CopyPartResult"]["ETag"]}]})
    assert tls_s3.get_object(Bucket=tls_bucket, Key="mp.bin", **_sse_c(key))["Body"].read() == data
    part = tls_s3.get_object(Bucket=tls_bucket, Key="mp.bin", PartNumber=2, **_sse_c(key))
    assert part["Body"].read() == data[PART:]
    with s3_error("InvalidRequest", 400):
        tls_s3.get_object(Bucket=tls_bucket, Key="mp.bin")


def test_sse_c_over_http_when_the_server_allows_it(server_factory):
    running = server_factory.start(server_factory.data_dir("sse-http"), extra_args=["--s3-sse-c-over-http"])
    client = make_s3_client(running.s3_endpoint)
    client.create_bucket(Bucket="ssehttp")
    key = os.urandom(32)
    client.put_object(Bucket="ssehttp", Key="k", Body=b"allowed here", **_sse_c(key))
    assert client.get_object(Bucket="ssehttp", Key="k", **_sse_c(key))["Body"].read() == b"allowed here"
    server_factory.stop(running)


# MARK: SSE-KMS (keys the server derives, named by --s3-kms-key-id)


def test_sse_kms_with_a_configured_key(tls_s3, tls_server, tls_bucket):
    secret = _marker()
    put = tls_s3.put_object(Bucket=tls_bucket, Key="kms.bin", Body=secret, ServerSideEncryption="aws:kms", SSEKMSKeyId="app-key")
    assert (put["ServerSideEncryption"], put["SSEKMSKeyId"]) == ("aws:kms", "app-key")
    assert not _in_data_file(tls_server.data_dir, secret)
    got = tls_s3.get_object(Bucket=tls_bucket, Key="kms.bin")
    assert (got["ServerSideEncryption"], got["SSEKMSKeyId"]) == ("aws:kms", "app-key")
    assert got["Body"].read() == secret
    # Any reader gets the plain bytes, FileREST included.
    file = ShareFileClient.from_connection_string(connection_string(tls_server.endpoint), tls_bucket, "kms.bin",
                                                  connection_verify=tls_server.ca_file)
    assert file.download_file().readall() == secret
    # A copy under the other key re-encrypts; under the same key it shares.
    source = {"Bucket": tls_bucket, "Key": "kms.bin"}
    other = tls_s3.copy_object(Bucket=tls_bucket, Key="other.bin", CopySource=source, ServerSideEncryption="aws:kms",
                               SSEKMSKeyId="other-key")
    assert other["SSEKMSKeyId"] == "other-key"
    assert tls_s3.get_object(Bucket=tls_bucket, Key="other.bin")["Body"].read() == secret
    with s3_error("KMS.NotFoundException", 400):
        tls_s3.put_object(Bucket=tls_bucket, Key="unknown.bin", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId="nope")


def test_default_bucket_encryption_with_a_kms_key(tls_s3, tls_bucket):
    rules = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "app-key"}}]}
    tls_s3.put_bucket_encryption(Bucket=tls_bucket, ServerSideEncryptionConfiguration=rules)
    got = tls_s3.get_bucket_encryption(Bucket=tls_bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert got["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "app-key"}
    put = tls_s3.put_object(Bucket=tls_bucket, Key="d.bin", Body=b"by default")
    assert (put["ServerSideEncryption"], put["SSEKMSKeyId"]) == ("aws:kms", "app-key")
    unknown = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "nope"}}]}
    with s3_error("KMS.NotFoundException", 400):
        tls_s3.put_bucket_encryption(Bucket=tls_bucket, ServerSideEncryptionConfiguration=unknown)
