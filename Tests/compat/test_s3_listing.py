"""Bucket listings: 2,500 keys through the v2 and v1 paginators in S3 binary order, delimiter
and CommonPrefixes, prefix, start-after, max-keys, encoding-type=url, fetch-owner,
ListObjectVersions, and how directories appear as keys."""

from concurrent.futures import ThreadPoolExecutor
from urllib.parse import unquote

import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.storage.fileshare import ShareServiceClient

from compat_helpers import unique_name
from s3_helpers import quoted_md5, s3_error

TOPS = ["alpha", "Beta", "a.b", "a", "a-b", "a0", "zeta_ü", "Ωmega"]


def _binary_sorted(keys):
    """S3 order: UTF-8 byte order of whole keys."""
    return sorted(keys, key=lambda k: k.encode("utf-8"))


def _make_keys():
    keys = []
    for i in range(2500):
        top = TOPS[i % len(TOPS)]
        if i % 50 == 0:
            keys.append(f"root-{i}.txt")
        elif i % 97 == 0:
            keys.append(f"{top}/deep/er/still/{i}")
        else:
            name = [f"{i:04d}.txt", f"File {i}.dat", f"x-{i}", f"X_{i}.bin", f"é{i}", f"{i}~z"][i % 6]
            keys.append(f"{top}/s{(i // 8) % 4}/{name}")
    assert len(set(keys)) == len(keys)
    return keys


@pytest.fixture(scope="module")
def big_bucket(s3_client, conn_str):
    """A bucket holding 2,500 keys in nested directories (written once for the module)."""
    name = unique_name("list")
    s3_client.create_bucket(Bucket=name)
    keys = _make_keys()
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda k: s3_client.put_object(Bucket=name, Key=k, Body=k.encode()), keys))
    yield name, keys
    ShareServiceClient.from_connection_string(conn_str).get_share_client(name).delete_share()


def test_v2_paginator_returns_every_key_once_in_binary_order(s3_client, big_bucket):
    name, keys = big_bucket
    pages = list(s3_client.get_paginator("list_objects_v2").paginate(Bucket=name))
    assert [len(p.get("Contents", [])) for p in pages] == [1000, 1000, 500]
    assert [p["KeyCount"] for p in pages] == [1000, 1000, 500]
    assert [p["IsTruncated"] for p in pages] == [True, True, False]
    assert all(p.get("NextContinuationToken") for p in pages[:-1])
    listed = [o["Key"] for p in pages for o in p["Contents"]]
    assert listed == _binary_sorted(keys)
    # The binary order differs from a naive case-insensitive order: the test can tell.
    assert listed != sorted(keys, key=str.lower)
    first = pages[0]["Contents"][0]
    assert first["Size"] == len(first["Key"].encode())
    assert first["ETag"] == quoted_md5(first["Key"].encode())
    assert first["StorageClass"] == "STANDARD"
    assert first["LastModified"] is not None


def test_v2_paginator_with_small_pages(s3_client, big_bucket):
    name, keys = big_bucket
    pages = list(s3_client.get_paginator("list_objects_v2").paginate(Bucket=name, PaginationConfig={"PageSize": 333}))
    assert len(pages) == 8
    assert [o["Key"] for p in pages for o in p["Contents"]] == _binary_sorted(keys)


def test_v1_with_marker(s3_client, big_bucket):
    name, keys = big_bucket
    listed, marker, rounds = [], "", 0
    while True:
        page = s3_client.list_objects(Bucket=name, Marker=marker, MaxKeys=600)
        rounds += 1
        contents = [o["Key"] for o in page.get("Contents", [])]
        listed += contents
        assert page["Marker"] == marker
        if not page["IsTruncated"]:
            break
        marker = page.get("NextMarker") or contents[-1]
    assert rounds == 5
    assert listed == _binary_sorted(keys)
    # boto3's own v1 paginator agrees.
    pages = s3_client.get_paginator("list_objects").paginate(Bucket=name, PaginationConfig={"PageSize": 900})
    assert [o["Key"] for p in pages for o in p["Contents"]] == _binary_sorted(keys)


def test_delimiter_at_the_root(s3_client, big_bucket):
    name, keys = big_bucket
    page = s3_client.list_objects_v2(Bucket=name, Delimiter="/")
    expected_prefixes = _binary_sorted({k.split("/")[0] + "/" for k in keys if "/" in k})
    assert [p["Prefix"] for p in page["CommonPrefixes"]] == expected_prefixes
    assert [o["Key"] for o in page["Contents"]] == _binary_sorted(k for k in keys if "/" not in k)
    assert page["KeyCount"] == len(expected_prefixes) + len(page["Contents"])
    assert page["Delimiter"] == "/"
    # `a-b/`, `a.b/`, `a/`, `a0/`: byte order of '-', '.', '/', '0'.
    a_prefixes = [p for p in expected_prefixes if p.startswith("a") and not p.startswith("alpha")]
    assert a_prefixes == ["a-b/", "a.b/", "a/", "a0/"]


def test_delimiter_with_pagination(s3_client, big_bucket):
    name, keys = big_bucket
    pages = list(s3_client.get_paginator("list_objects_v2").paginate(
        Bucket=name, Delimiter="/", PaginationConfig={"PageSize": 7}))
    assert len(pages) > 3
    prefixes = [p["Prefix"] for page in pages for p in page.get("CommonPrefixes", [])]
    contents = [o["Key"] for page in pages for o in page.get("Contents", [])]
    assert prefixes == _binary_sorted({k.split("/")[0] + "/" for k in keys if "/" in k})
    assert contents == _binary_sorted(k for k in keys if "/" not in k)
    for page in pages:
        assert len(page.get("CommonPrefixes", [])) + len(page.get("Contents", [])) <= 7
    # Same through v1 (NextMarker is given when a delimiter is).
    v1 = list(s3_client.get_paginator("list_objects").paginate(Bucket=name, Delimiter="/", PaginationConfig={"PageSize": 7}))
    assert [p["Prefix"] for page in v1 for p in page.get("CommonPrefixes", [])] == prefixes
    assert [o["Key"] for page in v1 for o in page.get("Contents", [])] == contents
    assert all(page.get("NextMarker") for page in v1[:-1])


def test_prefix_and_delimiter(s3_client, big_bucket):
    name, keys = big_bucket
    page = s3_client.list_objects_v2(Bucket=name, Prefix="a/", Delimiter="/")
    expected = _binary_sorted({"/".join(k.split("/")[:2]) + "/" for k in keys if k.startswith("a/")})
    assert [p["Prefix"] for p in page["CommonPrefixes"]] == expected
    assert "a/deep/" in expected and "a/s0/" in expected
    assert page.get("Contents", []) == []
    assert page["Prefix"] == "a/"

    # A prefix that is not a whole segment.
    page = s3_client.list_objects_v2(Bucket=name, Prefix="a", Delimiter="/")
    assert [p["Prefix"] for p in page["CommonPrefixes"]] == ["a-b/", "a.b/", "a/", "a0/", "alpha/"]

    # Prefix without delimiter: every key below, in order.
    listed = [o["Key"] for p in s3_client.get_paginator("list_objects_v2").paginate(Bucket=name, Prefix="Beta/s1/")
              for o in p.get("Contents", [])]
    assert listed == _binary_sorted(k for k in keys if k.startswith("Beta/s1/"))
    assert listed

    # Unicode prefix, and a prefix matching nothing.
    uni = [o["Key"] for o in s3_client.list_objects_v2(Bucket=name, Prefix="Ωmega/s2/")["Contents"]]
    assert uni == _binary_sorted(k for k in keys if k.startswith("Ωmega/s2/"))
    none = s3_client.list_objects_v2(Bucket=name, Prefix="no-such-prefix/")
    assert none["KeyCount"] == 0
    assert "Contents" not in none
    assert none["IsTruncated"] is False


def test_start_after(s3_client, big_bucket):
    name, keys = big_bucket
    ordered = _binary_sorted(keys)
    pivot = ordered[1234]
    listed = [o["Key"] for p in s3_client.get_paginator("list_objects_v2").paginate(Bucket=name, StartAfter=pivot)
              for o in p.get("Contents", [])]
    assert listed == ordered[1235:]
    # A start-after that is not a key (between two keys).
    between = ordered[10] + " "
    page = s3_client.list_objects_v2(Bucket=name, StartAfter=between, MaxKeys=5)
    assert [o["Key"] for o in page["Contents"]] == ordered[11:16]
    assert page["StartAfter"] == between
    # Past the end.
    assert s3_client.list_objects_v2(Bucket=name, StartAfter="\U0010ffff")["KeyCount"] == 0
    # Start-after with a prefix.
    inside = [k for k in ordered if k.startswith("alpha/")]
    page = s3_client.list_objects_v2(Bucket=name, Prefix="alpha/", StartAfter=inside[3], MaxKeys=4)
    assert [o["Key"] for o in page["Contents"]] == inside[4:8]


def test_max_keys(s3_client, big_bucket):
    name, keys = big_bucket
    ordered = _binary_sorted(keys)
    page = s3_client.list_objects_v2(Bucket=name, MaxKeys=3)
    assert [o["Key"] for o in page["Contents"]] == ordered[:3]
    assert page["MaxKeys"] == 3
    assert page["IsTruncated"] is True
    nxt = s3_client.list_objects_v2(Bucket=name, MaxKeys=3, ContinuationToken=page["NextContinuationToken"])
    assert [o["Key"] for o in nxt["Contents"]] == ordered[3:6]
    assert nxt["ContinuationToken"] == page["NextContinuationToken"]
    zero = s3_client.list_objects_v2(Bucket=name, MaxKeys=0)
    assert zero["KeyCount"] == 0
    assert zero["IsTruncated"] is False
    # More than 1,000 is capped at 1,000.
    capped = s3_client.list_objects_v2(Bucket=name, MaxKeys=5000)
    assert capped["KeyCount"] == 1000
    assert capped["IsTruncated"] is True


def test_invalid_continuation_token(s3_client, big_bucket):
    name, _ = big_bucket
    with s3_error("InvalidArgument", 400):
        s3_client.list_objects_v2(Bucket=name, ContinuationToken="not a token we ever gave")


# MARK: Smaller buckets


# Keys that need URL encoding (and are valid file names: no control characters, " \\ : | < > * ?).
ODD_KEYS = ["sp ace/file name.txt", "plus+sign", "percent%25lit", "amp&er=sand", "ünï/cødé", "hash#tag",
            "caret^", "back`tick", "nbsp\u00a0x", "semi;colon", "brace{}", "emoji\U0001F600", "tilde~"]


def test_encoding_type_url(s3_client, bucket):
    for key in ODD_KEYS:
        s3_client.put_object(Bucket=bucket, Key=key, Body=b"x")
    # boto3 asks for encoding-type=url by itself and decodes the answer.
    listed = [o["Key"] for o in s3_client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert listed == _binary_sorted(ODD_KEYS)
    # Asking explicitly keeps the encoded form: no raw space, non-ASCII, or control character.
    raw = s3_client.list_objects_v2(Bucket=bucket, EncodingType="url")
    assert raw["EncodingType"] == "url"
    encoded = [o["Key"] for o in raw["Contents"]]
    assert [unquote(k) for k in encoded] == _binary_sorted(ODD_KEYS)
    for key in encoded:
        assert all(0x21 <= ord(c) < 0x7F for c in key), key
    # Common prefixes, and v1, are encoded too.
    rolled = s3_client.list_objects_v2(Bucket=bucket, Delimiter="/", EncodingType="url")
    assert sorted(unquote(p["Prefix"]) for p in rolled["CommonPrefixes"]) == ["sp ace/", "ünï/"]
    assert all(" " not in p["Prefix"] for p in rolled["CommonPrefixes"])
    v1 = s3_client.list_objects(Bucket=bucket, EncodingType="url")
    assert [unquote(o["Key"]) for o in v1["Contents"]] == _binary_sorted(ODD_KEYS)
    # The decoded default of v1 agrees.
    assert [o["Key"] for o in s3_client.list_objects(Bucket=bucket)["Contents"]] == _binary_sorted(ODD_KEYS)


def test_invalid_encoding_type(s3_client, bucket):
    with s3_error("InvalidArgument", 400):
        s3_client.list_objects_v2(Bucket=bucket, EncodingType="base64")


def test_fetch_owner(s3_client, bucket):
    s3_client.put_object(Bucket=bucket, Key="owned", Body=b"x")
    plain = s3_client.list_objects_v2(Bucket=bucket)["Contents"][0]
    assert "Owner" not in plain
    owned = s3_client.list_objects_v2(Bucket=bucket, FetchOwner=True)["Contents"][0]
    assert owned["Owner"]["ID"]
    # v1 always names the owner; it is the same as ListBuckets reports.
    v1 = s3_client.list_objects(Bucket=bucket)["Contents"][0]
    assert v1["Owner"]["ID"] == owned["Owner"]["ID"] == s3_client.list_buckets()["Owner"]["ID"]


def test_list_object_versions_shows_null_versions(s3_client, bucket):
    keys = ["v/one", "v/two", "three"]
    for key in keys:
        s3_client.put_object(Bucket=bucket, Key=key, Body=key.encode())
    listed = s3_client.list_object_versions(Bucket=bucket)
    versions = listed["Versions"]
    assert [v["Key"] for v in versions] == _binary_sorted(keys)
    for version in versions:
        assert version["VersionId"] == "null"
        assert version["IsLatest"] is True
        assert version["ETag"] == quoted_md5(version["Key"].encode())
        assert version["Size"] == len(version["Key"])
    assert listed.get("DeleteMarkers", []) == []
    # Versioning is never enabled: GetBucketVersioning has no status.
    assert "Status" not in s3_client.get_bucket_versioning(Bucket=bucket)
    # Prefix and delimiter work for versions as for objects.
    rolled = s3_client.list_object_versions(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in rolled["CommonPrefixes"]] == ["v/"]
    assert [v["Key"] for v in rolled["Versions"]] == ["three"]
    # Version-aware clean-up, as tools do it, empties the bucket.
    objects = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in versions]
    deleted = s3_client.delete_objects(Bucket=bucket, Delete={"Objects": objects})
    assert sorted(d["Key"] for d in deleted["Deleted"]) == sorted(keys)
    assert s3_client.list_object_versions(Bucket=bucket).get("Versions", []) == []
    # GET with versionId=null works like a plain GET.
    s3_client.put_object(Bucket=bucket, Key="again", Body=b"a")
    assert s3_client.get_object(Bucket=bucket, Key="again", VersionId="null")["Body"].read() == b"a"
    s3_client.delete_object(Bucket=bucket, Key="again", VersionId="null")
    s3_client.delete_bucket(Bucket=bucket)


def test_directory_before_file_order_rule(s3_client, bucket):
    # (`Zed`: upper case sorts before lower case in byte order.)
    for key in ["a/x", "a.b/x", "a-b", "a0", "a/y/z", "Zed", "b"]:
        s3_client.put_object(Bucket=bucket, Key=key, Body=b".")
    listed = [o["Key"] for o in s3_client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert listed == ["Zed", "a-b", "a.b/x", "a/x", "a/y/z", "a0", "b"]
    rolled = s3_client.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in rolled["CommonPrefixes"]] == ["a.b/", "a/"]
    assert [o["Key"] for o in rolled["Contents"]] == ["Zed", "a-b", "a0", "b"]
    # Paging one entry at a time keeps the same order.
    one_by_one = [o["Key"] for p in s3_client.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, PaginationConfig={"PageSize": 1}) for o in p.get("Contents", [])]
    assert one_by_one == listed


def test_empty_directory_is_listed_as_a_key_with_a_slash(s3_client, service, bucket):
    # One made through S3 (a key ending in / with no body), one through FileREST.
    s3_client.put_object(Bucket=bucket, Key="made-by-s3/", Body=b"")
    service.get_share_client(bucket).create_directory("made-by-smb")
    s3_client.put_object(Bucket=bucket, Key="full/file", Body=b"f")
    listed = s3_client.list_objects_v2(Bucket=bucket)["Contents"]
    assert [o["Key"] for o in listed] == ["full/file", "made-by-s3/", "made-by-smb/"]
    assert [o["Size"] for o in listed] == [1, 0, 0]
    # Under a delimiter an empty directory is a common prefix, like any `d/` key in S3 ...
    rolled = s3_client.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in rolled["CommonPrefixes"]] == ["full/", "made-by-s3/", "made-by-smb/"]
    # ... and listing inside it shows the directory key itself.
    inside = s3_client.list_objects_v2(Bucket=bucket, Prefix="made-by-smb/", Delimiter="/")
    assert [o["Key"] for o in inside["Contents"]] == ["made-by-smb/"]
    # HEAD of the directory key answers like an empty object.
    head = s3_client.head_object(Bucket=bucket, Key="made-by-smb/")
    assert head["ContentLength"] == 0
    # Once it has a child, the directory is not an object of its own.
    s3_client.put_object(Bucket=bucket, Key="made-by-s3/child", Body=b"c")
    keys = [o["Key"] for o in s3_client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == ["full/file", "made-by-s3/child", "made-by-smb/"]
    # Deleting the directory key of an empty directory removes it ...
    s3_client.delete_object(Bucket=bucket, Key="made-by-smb/")
    keys = [o["Key"] for o in s3_client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == ["full/file", "made-by-s3/child"]
    with pytest.raises(ResourceNotFoundError):
        service.get_share_client(bucket).get_directory_client("made-by-smb").get_directory_properties()
    # ... but not of one with contents.
    s3_client.delete_object(Bucket=bucket, Key="made-by-s3/")
    assert s3_client.get_object(Bucket=bucket, Key="made-by-s3/child")["Body"].read() == b"c"
    # A directory is not an object without its slash.
    with s3_error("NoSuchKey", 404):
        s3_client.get_object(Bucket=bucket, Key="made-by-s3")


def test_buckets_made_through_s3_are_case_sensitive(s3_client, bucket):
    s3_client.put_object(Bucket=bucket, Key="Report.txt", Body=b"upper")
    s3_client.put_object(Bucket=bucket, Key="report.txt", Body=b"lower")
    s3_client.put_object(Bucket=bucket, Key="DIR/x", Body=b"1")
    s3_client.put_object(Bucket=bucket, Key="dir/x", Body=b"2")
    listed = [o["Key"] for o in s3_client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert listed == ["DIR/x", "Report.txt", "dir/x", "report.txt"]
    assert s3_client.get_object(Bucket=bucket, Key="Report.txt")["Body"].read() == b"upper"
    assert s3_client.get_object(Bucket=bucket, Key="report.txt")["Body"].read() == b"lower"
    with s3_error("NoSuchKey", 404):
        s3_client.get_object(Bucket=bucket, Key="REPORT.TXT")


def test_filerest_shares_are_case_insensitive_with_case_sensitive_prefixes(s3_client, share):
    bucket = share.share_name
    s3_client.put_object(Bucket=bucket, Key="Docs/Readme.TXT", Body=b"read me")
    assert [o["Key"] for o in s3_client.list_objects_v2(Bucket=bucket)["Contents"]] == ["Docs/Readme.TXT"]
    # Another case names the same file (SMB semantics) ...
    assert s3_client.get_object(Bucket=bucket, Key="docs/readme.txt")["Body"].read() == b"read me"
    # ... prefixes match the stored names byte for byte ...
    assert s3_client.list_objects_v2(Bucket=bucket, Prefix="docs/")["KeyCount"] == 0
    assert s3_client.list_objects_v2(Bucket=bucket, Prefix="Docs/R")["KeyCount"] == 1
    # ... and a PUT in another case replaces the file, which takes the case of that key.
    s3_client.put_object(Bucket=bucket, Key="Docs/README.txt", Body=b"replaced")
    assert [o["Key"] for o in s3_client.list_objects_v2(Bucket=bucket)["Contents"]] == ["Docs/README.txt"]
    assert s3_client.get_object(Bucket=bucket, Key="Docs/readme.TXT")["Body"].read() == b"replaced"
