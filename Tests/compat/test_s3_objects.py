"""S3 objects through boto3 at its default settings: put/get/head/delete, content headers and
metadata, Content-MD5, the five checksum algorithms (header and aws-chunked trailer), ranged
and conditional GETs, response-* overrides, PutObject If-None-Match, CopyObject, DeleteObjects."""

import datetime as dt
import hashlib
from email.utils import format_datetime

import pytest
from botocore.config import Config

from compat_helpers import KiB, MiB, pattern
from s3_helpers import (
    checksum_b64,
    expect_error,
    key_path,
    make_s3_client,
    md5_b64,
    quoted_md5,
    s3_error,
    signed_request,
    unsigned_trailer_put,
)

UTC = dt.timezone.utc
ALGORITHMS = ["CRC32", "CRC32C", "SHA1", "SHA256", "CRC64NVME"]


def _status(response) -> int:
    return response["ResponseMetadata"]["HTTPStatusCode"]


def _assert_missing(s3_client, bucket, key):
    """The key is not stored: HEAD says 404 and GET says NoSuchKey."""
    with s3_error("404", 404):
        s3_client.head_object(Bucket=bucket, Key=key)
    with s3_error("NoSuchKey", 404):
        s3_client.get_object(Bucket=bucket, Key=key)


class SentHeaders:
    """Records the headers (and URL) of every request a client sends."""

    def __init__(self, client):
        self.requests = []
        self._client = client
        client.meta.events.register("before-send.s3", self._record)

    def _record(self, request, **kwargs):
        self.requests.append((request.method, request.url, dict(request.headers)))

    def last(self, method="PUT"):
        matching = [headers for m, _, headers in self.requests if m == method]
        assert matching, f"no {method} request was sent"
        return {k.lower(): (v.decode() if isinstance(v, bytes) else v) for k, v in matching[-1].items()}

    def close(self):
        self._client.meta.events.unregister("before-send.s3", self._record)


@pytest.fixture
def no_retry(s3_endpoint):
    """boto3 with retries off, for answers that do not change on a retry: botocore's legacy
    retry policy retries BadDigest four times with exponential back-off (~15 s a call)."""
    return make_s3_client(s3_endpoint, config=Config(retries={"total_max_attempts": 1}))


@pytest.fixture
def sent(s3_client):
    recorder = SentHeaders(s3_client)
    yield recorder
    recorder.close()


# MARK: Basic object operations


@pytest.mark.parametrize("size", [0, 1, 100 * KiB, 3 * MiB], ids=["0B", "1B", "100KiB", "3MiB"])
def test_put_get_head_delete(s3_client, bucket, size):
    data = pattern(size, seed=size + 7)
    key = f"dir/sub/object-{size}.bin"
    before = dt.datetime.now(UTC).replace(microsecond=0) - dt.timedelta(seconds=2)
    put = s3_client.put_object(Bucket=bucket, Key=key, Body=data)
    assert put["ETag"] == quoted_md5(data)
    assert put["ResponseMetadata"]["HTTPHeaders"].get("x-amz-request-id")

    head = s3_client.head_object(Bucket=bucket, Key=key)
    assert head["ContentLength"] == size
    assert head["ETag"] == quoted_md5(data)
    assert before <= head["LastModified"] <= dt.datetime.now(UTC) + dt.timedelta(seconds=2)
    assert head["ResponseMetadata"]["HTTPHeaders"].get("accept-ranges") == "bytes"

    got = s3_client.get_object(Bucket=bucket, Key=key)
    assert _status(got) == 200
    assert got["ContentLength"] == size
    assert got["ETag"] == quoted_md5(data)
    assert got["LastModified"] == head["LastModified"]
    assert got["Body"].read() == data

    deleted = s3_client.delete_object(Bucket=bucket, Key=key)
    assert _status(deleted) == 204
    _assert_missing(s3_client, bucket, key)
    # Deleting a missing key succeeds, as in S3.
    assert _status(s3_client.delete_object(Bucket=bucket, Key=key)) == 204


def test_put_replaces_an_existing_object(s3_client, bucket):
    s3_client.put_object(Bucket=bucket, Key="k", Body=b"first version, longer", Metadata={"v": "1"})
    s3_client.put_object(Bucket=bucket, Key="k", Body=b"second", Metadata={"w": "2"})
    got = s3_client.get_object(Bucket=bucket, Key="k")
    assert got["Body"].read() == b"second"
    assert got["Metadata"] == {"w": "2"}
    assert got["ETag"] == quoted_md5(b"second")


def test_odd_key_names_round_trip(s3_client, bucket):
    keys = ["with space/and+plus&amp=eq.txt", "ünïcødé/日本語.txt", "percent%20literal", "tilde~/semi;colon,comma",
            "brackets[1]/(paren)/{brace}", "quote'single", "emoji-\U0001F600.bin"]
    for index, key in enumerate(keys):
        s3_client.put_object(Bucket=bucket, Key=key, Body=key.encode() * (index + 1))
    for index, key in enumerate(keys):
        assert s3_client.get_object(Bucket=bucket, Key=key)["Body"].read() == key.encode() * (index + 1)
    listed = [o["Key"] for o in s3_client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert listed == sorted(keys, key=lambda k: k.encode())


def test_content_headers_and_metadata_round_trip(s3_client, bucket):
    data = b"<p>hello</p>" * 100
    s3_client.put_object(
        Bucket=bucket, Key="page.html", Body=data,
        ContentType="text/html; charset=utf-8", ContentEncoding="identity", ContentLanguage="de-CH",
        ContentDisposition='attachment; filename="page.html"', CacheControl="max-age=60, public",
        Metadata={"color": "blue", "build_no": "42"},
    )
    for response in (s3_client.head_object(Bucket=bucket, Key="page.html"),
                     s3_client.get_object(Bucket=bucket, Key="page.html")):
        assert response["ContentType"] == "text/html; charset=utf-8"
        assert response["ContentEncoding"] == "identity"
        assert response["ContentLanguage"] == "de-CH"
        assert response["ContentDisposition"] == 'attachment; filename="page.html"'
        assert response["CacheControl"] == "max-age=60, public"
        assert response["Metadata"] == {"color": "blue", "build_no": "42"}
    assert s3_client.get_object(Bucket=bucket, Key="page.html")["Body"].read() == data


def test_default_content_type(s3_client, bucket):
    s3_client.put_object(Bucket=bucket, Key="untyped", Body=b"?")
    assert s3_client.head_object(Bucket=bucket, Key="untyped")["ContentType"] == "application/octet-stream"


def test_metadata_values_keep_their_text(s3_client, bucket):
    s3_client.put_object(Bucket=bucket, Key="m", Body=b"x", Metadata={"note": "two  spaces, comma; and = sign"})
    assert s3_client.head_object(Bucket=bucket, Key="m")["Metadata"] == {"note": "two  spaces, comma; and = sign"}


def test_metadata_names_are_any_header_token_kept_lower_cased(s3_client, service, bucket):
    # s3cmd sends x-amz-meta-s3cmd-attrs; other tools x-amz-meta-original-filename (issue #9).
    sent = {"s3cmd-attrs": "uid:0/gid:0/mode:33188", "Original-Filename": "a b.txt", "has.dot": "1", "9lives": "cat"}
    s3_client.put_object(Bucket=bucket, Key="meta", Body=b"data", Metadata=sent)
    expected = {name.lower(): value for name, value in sent.items()}
    assert s3_client.head_object(Bucket=bucket, Key="meta")["Metadata"] == expected
    # FileREST shows what is stored, though it accepts only identifiers when it writes.
    shown = service.get_share_client(bucket).get_file_client("meta").get_file_properties().metadata
    assert dict(shown) == expected


def test_get_missing_key_and_bucket(s3_client, bucket):
    with s3_error("NoSuchKey", 404) as info:
        s3_client.get_object(Bucket=bucket, Key="nope/never")
    assert info.value.response["Error"].get("Key") == "nope/never"
    with s3_error("NoSuchBucket", 404):
        s3_client.get_object(Bucket=bucket + "-missing", Key="k")
    with s3_error("NoSuchBucket", 404):
        s3_client.put_object(Bucket=bucket + "-missing", Key="k", Body=b"x")


# MARK: Content-MD5


def test_content_md5_good(s3_client, bucket):
    data = pattern(70 * KiB)
    put = s3_client.put_object(Bucket=bucket, Key="md5", Body=data, ContentMD5=md5_b64(data))
    assert put["ETag"] == quoted_md5(data)
    assert s3_client.get_object(Bucket=bucket, Key="md5")["Body"].read() == data


def test_content_md5_mismatch_is_bad_digest_and_nothing_is_stored(s3_client, no_retry, bucket):
    data = pattern(70 * KiB)
    with s3_error("BadDigest", 400):
        no_retry.put_object(Bucket=bucket, Key="md5", Body=data, ContentMD5=md5_b64(data + b"!"))
    _assert_missing(s3_client, bucket, "md5")
    # Nor does a mismatching MD5 harm an existing object.
    s3_client.put_object(Bucket=bucket, Key="md5", Body=b"original")
    with s3_error("BadDigest", 400):
        no_retry.put_object(Bucket=bucket, Key="md5", Body=data, ContentMD5=md5_b64(b"other"))
    assert s3_client.get_object(Bucket=bucket, Key="md5")["Body"].read() == b"original"


def test_content_md5_malformed_is_invalid_digest(s3_client, bucket):
    with s3_error("InvalidDigest", 400):
        s3_client.put_object(Bucket=bucket, Key="md5", Body=b"abc", ContentMD5="not-base64-md5")
    _assert_missing(s3_client, bucket, "md5")


# MARK: Checksums


def test_default_put_sends_crc32_and_the_server_verifies_and_returns_it(s3_client, bucket, sent):
    data = pattern(300 * KiB, seed=32)
    put = s3_client.put_object(Bucket=bucket, Key="crc", Body=data)
    headers = sent.last("PUT")
    # What boto3 sends at its defaults over http://: a CRC32 header (trailers only over https).
    assert headers["x-amz-checksum-crc32"] == checksum_b64("crc32", data)
    assert put.get("ChecksumCRC32") == checksum_b64("crc32", data)
    got = s3_client.get_object(Bucket=bucket, Key="crc", ChecksumMode="ENABLED")
    assert got["ChecksumCRC32"] == checksum_b64("crc32", data)
    assert got["Body"].read() == data


def _trailer_client(endpoint, **kwargs):
    """boto3 at its defaults, but sending checksums in aws-chunked trailers as it does over
    https (botocore uses a trailer only for https URLs; this flips the location it chose)."""
    client = make_s3_client(endpoint, **kwargs)

    def use_trailer(params, **kwargs):
        algorithm = params.get("context", {}).get("checksum", {}).get("request_algorithm")
        if isinstance(algorithm, dict) and algorithm.get("in") == "header":
            algorithm["in"] = "trailer"

    client.meta.events.register("before-call.s3.PutObject", use_trailer)
    client.meta.events.register("before-call.s3.UploadPart", use_trailer)
    return client


@pytest.mark.parametrize("size", [0, 10 * KiB, 3 * MiB + 17], ids=["0B", "10KiB", "3MiB"])
def test_crc32_trailer_from_boto3(s3_endpoint, bucket, size):
    client = _trailer_client(s3_endpoint)
    recorder = SentHeaders(client)
    data = pattern(size, seed=size)
    put = client.put_object(Bucket=bucket, Key="trailer.bin", Body=data)
    headers = recorder.last("PUT")
    assert headers["x-amz-content-sha256"] == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    assert headers["x-amz-trailer"] == "x-amz-checksum-crc32"
    assert "aws-chunked" in headers["content-encoding"]
    assert headers["x-amz-decoded-content-length"] == str(size)
    assert "content-length" not in headers
    assert put["ETag"] == quoted_md5(data)
    assert put.get("ChecksumCRC32") == checksum_b64("crc32", data)

    got = client.get_object(Bucket=bucket, Key="trailer.bin", ChecksumMode="ENABLED")
    assert got["Body"].read() == data
    assert got["ContentLength"] == size
    assert got["ChecksumCRC32"] == checksum_b64("crc32", data)
    # aws-chunked is a transfer detail, not the object's content encoding.
    assert "aws-chunked" not in (got.get("ContentEncoding") or "")


def test_trailer_keeps_a_real_content_encoding(s3_endpoint, bucket):
    client = _trailer_client(s3_endpoint)
    data = b"gzip-bytes-pretend" * 10
    client.put_object(Bucket=bucket, Key="enc", Body=data, ContentEncoding="gzip")
    got = client.get_object(Bucket=bucket, Key="enc")
    assert got["ContentEncoding"] == "gzip"
    assert got["Body"].read() == data


@pytest.mark.parametrize("algorithm", ["crc32", "crc32c", "crc64nvme", "sha1", "sha256"])
def test_unsigned_trailer_each_algorithm_and_mismatch(s3_endpoint, s3_client, bucket, algorithm):
    data = pattern(40 * KiB, seed=3)
    good = unsigned_trailer_put(s3_endpoint, key_path(bucket, "t"), data, algorithm)
    assert good.status_code == 200, good.text
    assert good.headers.get(f"x-amz-checksum-{algorithm}") == checksum_b64(algorithm, data)
    got = s3_client.get_object(Bucket=bucket, Key="t", ChecksumMode="ENABLED")
    assert got["Body"].read() == data
    assert got[f"Checksum{algorithm.upper()}"] == checksum_b64(algorithm, data)

    bad = unsigned_trailer_put(s3_endpoint, key_path(bucket, "t2"), data, algorithm,
                               value=checksum_b64(algorithm, data + b"x"))
    expect_error(bad, "BadDigest", 400)
    _assert_missing(s3_client, bucket, "t2")


def test_trailer_mismatch_from_boto3_is_bad_digest(s3_endpoint, s3_client, bucket):
    client = _trailer_client(s3_endpoint, config=Config(retries={"total_max_attempts": 1}))
    data = pattern(20 * KiB)

    def corrupt(request, **kwargs):
        # Let botocore build the aws-chunked body and its trailer, then change one data byte.
        assert b"aws-chunked" in request.headers["Content-Encoding"]
        body = request.body.read()
        assert body.count(data[:64]) == 1
        request.body = body.replace(data[:64], bytes([data[0] ^ 1]) + data[1:64])

    client.meta.events.register("before-send.s3.PutObject", corrupt)
    with s3_error("BadDigest", 400):
        client.put_object(Bucket=bucket, Key="corrupt", Body=data)
    _assert_missing(s3_client, bucket, "corrupt")


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_checksum_algorithm_verified_stored_and_returned(s3_client, bucket, algorithm, sent):
    data = pattern(200 * KiB, seed=len(algorithm))
    expected = checksum_b64(algorithm, data)
    field = f"Checksum{algorithm}"
    put = s3_client.put_object(Bucket=bucket, Key="obj", Body=data, ChecksumAlgorithm=algorithm)
    assert sent.last("PUT")[f"x-amz-checksum-{algorithm.lower()}"] == expected
    assert put[field] == expected

    got = s3_client.get_object(Bucket=bucket, Key="obj", ChecksumMode="ENABLED")
    assert got[field] == expected
    assert got["Body"].read() == data
    head = s3_client.head_object(Bucket=bucket, Key="obj", ChecksumMode="ENABLED")
    assert head[field] == expected

    # Not on a ranged read (the checksum is of the whole object).
    ranged = s3_client.get_object(Bucket=bucket, Key="obj", ChecksumMode="ENABLED", Range="bytes=10-99")
    assert ranged["Body"].read() == data[10:100]
    assert not [k for k in ranged if k.startswith("Checksum") and k != "ChecksumType"], ranged.keys()
    assert not [h for h in ranged["ResponseMetadata"]["HTTPHeaders"] if h.startswith("x-amz-checksum-")
                and h != "x-amz-checksum-type"]


def test_checksums_are_not_returned_without_checksum_mode(s3_client, bucket):
    data = b"checksum mode"
    s3_client.put_object(Bucket=bucket, Key="obj", Body=data, ChecksumAlgorithm="SHA256")
    head = s3_client.head_object(Bucket=bucket, Key="obj")
    assert "ChecksumSHA256" not in head
    assert s3_client.head_object(Bucket=bucket, Key="obj", ChecksumMode="ENABLED")["ChecksumSHA256"] == \
        checksum_b64("sha256", data)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_wrong_checksum_is_bad_digest_and_nothing_is_stored(s3_client, no_retry, service, bucket, algorithm):
    data = pattern(50 * KiB)
    wrong = checksum_b64(algorithm, data[:-1])
    with s3_error("BadDigest", 400):
        no_retry.put_object(Bucket=bucket, Key="bad", Body=data, **{f"Checksum{algorithm}": wrong})
    _assert_missing(s3_client, bucket, "bad")
    # Nor are the directories it would have created left behind.
    with s3_error("BadDigest", 400):
        no_retry.put_object(Bucket=bucket, Key="new/dirs/bad", Body=data, **{f"Checksum{algorithm}": wrong})
    assert s3_client.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    assert list(service.get_share_client(bucket).list_directories_and_files()) == []
    # An existing object is left as it was.
    s3_client.put_object(Bucket=bucket, Key="bad", Body=b"kept")
    with s3_error("BadDigest", 400):
        no_retry.put_object(Bucket=bucket, Key="bad", Body=data, **{f"Checksum{algorithm}": wrong})
    assert s3_client.get_object(Bucket=bucket, Key="bad")["Body"].read() == b"kept"


# MARK: Ranges


@pytest.fixture
def ten_kib(s3_client, bucket):
    data = pattern(10 * KiB, seed=10)
    s3_client.put_object(Bucket=bucket, Key="ranged", Body=data)
    return data


@pytest.mark.parametrize(
    "header, start, end",
    [("bytes=0-0", 0, 0), ("bytes=0-9", 0, 9), ("bytes=100-1099", 100, 1099), ("bytes=9000-", 9000, 10239),
     ("bytes=-100", 10140, 10239), ("bytes=10000-20000", 10000, 10239), ("bytes=-20000", 0, 10239),
     ("bytes=10239-10239", 10239, 10239)],
)
def test_ranged_get(s3_client, bucket, ten_kib, header, start, end):
    got = s3_client.get_object(Bucket=bucket, Key="ranged", Range=header)
    assert _status(got) == 206
    assert got["ContentRange"] == f"bytes {start}-{end}/{len(ten_kib)}"
    assert got["ContentLength"] == end - start + 1
    assert got["Body"].read() == ten_kib[start : end + 1]
    assert got["ETag"] == quoted_md5(ten_kib)


def test_several_ranges_get_the_whole_object(s3_client, bucket, ten_kib):
    got = s3_client.get_object(Bucket=bucket, Key="ranged", Range="bytes=0-1,5-6")
    assert _status(got) == 200
    assert got["Body"].read() == ten_kib


@pytest.mark.parametrize("header", ["bytes=10240-", "bytes=20000-20010", "bytes=10240-10300"])
def test_range_past_the_end_is_invalid_range(s3_client, bucket, ten_kib, header):
    with s3_error("InvalidRange", 416):
        s3_client.get_object(Bucket=bucket, Key="ranged", Range=header)


def test_unparsable_range_is_ignored(s3_client, bucket, ten_kib):
    # S3 (like HTTP) ignores a Range header it cannot parse and sends the whole object.
    got = s3_client.get_object(Bucket=bucket, Key="ranged", Range="lines=1-2")
    assert _status(got) == 200
    assert got["Body"].read() == ten_kib


# MARK: Conditional requests


def test_conditional_gets(s3_client, bucket, ten_kib):
    etag = quoted_md5(ten_kib)
    modified = s3_client.head_object(Bucket=bucket, Key="ranged")["LastModified"]
    earlier = modified - dt.timedelta(hours=1)
    later = modified + dt.timedelta(hours=1)
    get = s3_client.get_object

    assert get(Bucket=bucket, Key="ranged", IfMatch=etag)["Body"].read() == ten_kib
    with s3_error("PreconditionFailed", 412):
        get(Bucket=bucket, Key="ranged", IfMatch='"0123456789abcdef0123456789abcdef"')

    with s3_error("304", 304):
        get(Bucket=bucket, Key="ranged", IfNoneMatch=etag)
    assert _status(get(Bucket=bucket, Key="ranged", IfNoneMatch='"other"')) == 200

    with s3_error("304", 304):
        get(Bucket=bucket, Key="ranged", IfModifiedSince=modified)
    assert _status(get(Bucket=bucket, Key="ranged", IfModifiedSince=earlier)) == 200

    with s3_error("PreconditionFailed", 412):
        get(Bucket=bucket, Key="ranged", IfUnmodifiedSince=earlier)
    assert _status(get(Bucket=bucket, Key="ranged", IfUnmodifiedSince=modified)) == 200
    assert _status(get(Bucket=bucket, Key="ranged", IfUnmodifiedSince=later)) == 200

    # S3's combination rules: If-Match true wins over If-Unmodified-Since false (200);
    # If-None-Match false wins over If-Modified-Since true (304).
    assert _status(get(Bucket=bucket, Key="ranged", IfMatch=etag, IfUnmodifiedSince=earlier)) == 200
    with s3_error("304", 304):
        get(Bucket=bucket, Key="ranged", IfNoneMatch=etag, IfModifiedSince=earlier)

    # A condition combined with a range.
    ranged = get(Bucket=bucket, Key="ranged", IfMatch=etag, Range="bytes=0-3")
    assert (_status(ranged), ranged["Body"].read()) == (206, ten_kib[:4])


def test_conditional_heads(s3_client, bucket, ten_kib):
    etag = quoted_md5(ten_kib)
    with s3_error("412", 412):
        s3_client.head_object(Bucket=bucket, Key="ranged", IfMatch='"nope"')
    with s3_error("304", 304):
        s3_client.head_object(Bucket=bucket, Key="ranged", IfNoneMatch=etag)
    assert _status(s3_client.head_object(Bucket=bucket, Key="ranged", IfMatch=etag)) == 200


def test_response_overrides(s3_client, bucket):
    s3_client.put_object(Bucket=bucket, Key="o.bin", Body=b"override me", ContentType="application/octet-stream")
    expires = dt.datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
    got = s3_client.get_object(
        Bucket=bucket, Key="o.bin",
        ResponseContentType="text/plain", ResponseContentDisposition='attachment; filename="x y.txt"',
        ResponseCacheControl="no-cache", ResponseContentLanguage="fr-FR", ResponseContentEncoding="identity",
        ResponseExpires=expires,
    )
    assert got["ContentType"] == "text/plain"
    assert got["ContentDisposition"] == 'attachment; filename="x y.txt"'
    assert got["CacheControl"] == "no-cache"
    assert got["ContentLanguage"] == "fr-FR"
    assert got["ContentEncoding"] == "identity"
    assert got["ResponseMetadata"]["HTTPHeaders"]["expires"] == format_datetime(expires, usegmt=True)
    assert got["Body"].read() == b"override me"
    # The overrides change that response only.
    head = s3_client.head_object(Bucket=bucket, Key="o.bin")
    assert head["ContentType"] == "application/octet-stream"
    assert "ContentDisposition" not in head


def test_put_if_none_match_star(s3_client, bucket):
    first = s3_client.put_object(Bucket=bucket, Key="once", Body=b"first", IfNoneMatch="*")
    assert first["ETag"] == quoted_md5(b"first")
    with s3_error("PreconditionFailed", 412):
        s3_client.put_object(Bucket=bucket, Key="once", Body=b"second", IfNoneMatch="*")
    assert s3_client.get_object(Bucket=bucket, Key="once")["Body"].read() == b"first"


# MARK: CopyObject


def test_copy_object_copy_directive(s3_client, bucket):
    data = pattern(123 * KiB, seed=5)
    s3_client.put_object(Bucket=bucket, Key="src/a.txt", Body=data, ContentType="text/x-src",
                         CacheControl="max-age=5", Metadata={"origin": "src"})
    copied = s3_client.copy_object(Bucket=bucket, Key="dst/deep/b.txt", CopySource={"Bucket": bucket, "Key": "src/a.txt"})
    assert copied["CopyObjectResult"]["ETag"] == quoted_md5(data)
    got = s3_client.get_object(Bucket=bucket, Key="dst/deep/b.txt")
    assert got["Body"].read() == data
    assert got["ContentType"] == "text/x-src"
    assert got["CacheControl"] == "max-age=5"
    assert got["Metadata"] == {"origin": "src"}
    assert got["ETag"] == quoted_md5(data)
    # The source is untouched, and the two are independent afterwards.
    s3_client.put_object(Bucket=bucket, Key="src/a.txt", Body=b"changed")
    assert s3_client.get_object(Bucket=bucket, Key="dst/deep/b.txt")["Body"].read() == data


def test_copy_object_replace_directive(s3_client, bucket):
    s3_client.put_object(Bucket=bucket, Key="a", Body=b"payload", ContentType="text/old", Metadata={"old": "1"})
    s3_client.copy_object(Bucket=bucket, Key="b", CopySource={"Bucket": bucket, "Key": "a"}, MetadataDirective="REPLACE",
                          ContentType="text/new", Metadata={"new": "2"})
    head = s3_client.head_object(Bucket=bucket, Key="b")
    assert head["ContentType"] == "text/new"
    assert head["Metadata"] == {"new": "2"}
    assert s3_client.get_object(Bucket=bucket, Key="b")["Body"].read() == b"payload"
    assert s3_client.head_object(Bucket=bucket, Key="a")["Metadata"] == {"old": "1"}


def test_copy_object_across_buckets_with_odd_key(s3_client, bucket, new_bucket_name):
    s3_client.create_bucket(Bucket=new_bucket_name)
    key = "dir with space/ü+&=.bin"
    data = pattern(2 * MiB + 3, seed=9)
    s3_client.put_object(Bucket=bucket, Key=key, Body=data, Metadata={"k": "v"})
    s3_client.copy_object(Bucket=new_bucket_name, Key=key, CopySource={"Bucket": bucket, "Key": key})
    got = s3_client.get_object(Bucket=new_bucket_name, Key=key)
    assert got["Body"].read() == data
    assert got["Metadata"] == {"k": "v"}
    assert got["ETag"] == quoted_md5(data)


def test_copy_onto_itself(s3_client, bucket):
    s3_client.put_object(Bucket=bucket, Key="self", Body=b"me", Metadata={"a": "1"})
    with s3_error("InvalidRequest", 400):
        s3_client.copy_object(Bucket=bucket, Key="self", CopySource={"Bucket": bucket, "Key": "self"})
    s3_client.copy_object(Bucket=bucket, Key="self", CopySource={"Bucket": bucket, "Key": "self"},
                          MetadataDirective="REPLACE", Metadata={"b": "2"})
    got = s3_client.get_object(Bucket=bucket, Key="self")
    assert got["Metadata"] == {"b": "2"}
    assert got["Body"].read() == b"me"


def test_copy_errors(s3_client, bucket):
    with s3_error("NoSuchKey", 404):
        s3_client.copy_object(Bucket=bucket, Key="x", CopySource={"Bucket": bucket, "Key": "missing"})
    with s3_error("NoSuchBucket", 404):
        s3_client.copy_object(Bucket=bucket, Key="x", CopySource={"Bucket": bucket + "-gone", "Key": "missing"})
    s3_client.put_object(Bucket=bucket, Key="src", Body=b"s")
    with s3_error("PreconditionFailed", 412):
        s3_client.copy_object(Bucket=bucket, Key="x", CopySource={"Bucket": bucket, "Key": "src"},
                              CopySourceIfMatch='"not-the-etag"')
    _assert_missing(s3_client, bucket, "x")


# MARK: DeleteObjects


def test_delete_objects(s3_client, bucket):
    keys = [f"d/{i}" for i in range(6)] + ["top"]
    for key in keys:
        s3_client.put_object(Bucket=bucket, Key=key, Body=key.encode())
    doomed = ["d/0", "d/2", "top", "never/existed", "d/99"]
    result = s3_client.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in doomed]})
    assert sorted(d["Key"] for d in result.get("Deleted", [])) == sorted(doomed)
    assert result.get("Errors", []) == []
    left = [o["Key"] for o in s3_client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert left == ["d/1", "d/3", "d/4", "d/5"]

    quiet = s3_client.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "d/1"}, {"Key": "gone"}], "Quiet": True})
    assert quiet.get("Deleted", []) == []
    assert quiet.get("Errors", []) == []
    left = [o["Key"] for o in s3_client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert left == ["d/3", "d/4", "d/5"]


def test_deleting_the_last_object_removes_emptied_directories(s3_client, bucket):
    s3_client.put_object(Bucket=bucket, Key="a/b/c/only", Body=b"1")
    s3_client.put_object(Bucket=bucket, Key="a/keep", Body=b"2")
    s3_client.delete_object(Bucket=bucket, Key="a/b/c/only")
    # No empty `a/b/c/` or `a/b/` directory objects are left behind.
    assert [o["Key"] for o in s3_client.list_objects_v2(Bucket=bucket)["Contents"]] == ["a/keep"]
    s3_client.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "a/keep"}]})
    assert s3_client.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    assert _status(s3_client.delete_bucket(Bucket=bucket)) == 204


def test_delete_objects_with_the_checksum_boto3_sends(s3_client, bucket, sent):
    # boto3 sends a checksum with DeleteObjects (the operation requires one): it is accepted.
    s3_client.put_object(Bucket=bucket, Key="x", Body=b"x")
    s3_client.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "x"}]})
    headers = sent.last("POST")
    assert any(h.startswith("x-amz-checksum-") or h == "content-md5" for h in headers)
    _assert_missing(s3_client, bucket, "x")


def test_sha256_of_body_is_checked(s3_endpoint, s3_client, bucket):
    # boto3 over http signs the body's SHA-256; a body that does not match it is refused.
    response = signed_request(s3_endpoint, "PUT", key_path(bucket, "sha"), body=b"actual body",
                              payload_hash=hashlib.sha256(b"another body").hexdigest())
    expect_error(response, "XAmzContentSHA256Mismatch", 400)
    _assert_missing(s3_client, bucket, "sha")
    ok = signed_request(s3_endpoint, "PUT", key_path(bucket, "sha"), body=b"actual body")
    assert ok.status_code == 200, ok.text
    assert ok.headers["ETag"] == quoted_md5(b"actual body")


def test_put_if_match(s3_client, bucket):
    """PutObject with If-Match writes only over the object with that ETag; with no object
    there it is NoSuchKey, as S3 answers."""
    with s3_error("NoSuchKey", 404):
        s3_client.put_object(Bucket=bucket, Key="cond.txt", Body=b"one", IfMatch=quoted_md5(b"zero"))
    s3_client.put_object(Bucket=bucket, Key="cond.txt", Body=b"one")
    with s3_error("PreconditionFailed", 412):
        s3_client.put_object(Bucket=bucket, Key="cond.txt", Body=b"two", IfMatch='"nope"')
    assert s3_client.get_object(Bucket=bucket, Key="cond.txt")["Body"].read() == b"one"
    s3_client.put_object(Bucket=bucket, Key="cond.txt", Body=b"two", IfMatch=quoted_md5(b"one"))
    assert s3_client.get_object(Bucket=bucket, Key="cond.txt")["Body"].read() == b"two"


def test_delete_objects_takes_keys_verbatim(s3_client, bucket):
    """Spaces around a key in DeleteObjects are part of the key."""
    keys = [" lead", "trail ", "a b "]
    for key in keys:
        s3_client.put_object(Bucket=bucket, Key=key, Body=b"x")
    result = s3_client.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys]})
    assert sorted(d["Key"] for d in result["Deleted"]) == sorted(keys)
    assert s3_client.list_objects_v2(Bucket=bucket).get("Contents", []) == []
