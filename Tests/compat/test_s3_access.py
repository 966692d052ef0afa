"""S3 access control through boto3 (issue 13): a second identity made with
`sharecore s3 key add`, anonymous requests (botocore.UNSIGNED), bucket ACLs (canned, grant
headers, AccessControlPolicy XML), bucket policies, the public access block and ownership
controls, with their error paths."""

import json
import subprocess

import boto3
import botocore
import pytest
import requests
from botocore.config import Config

from compat_helpers import ACCOUNT, unique_name
from s3_helpers import REGION, make_s3_client, s3_error

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


def _key_command(factory, data_dir, *args, check=True):
    result = subprocess.run([factory.binary, "s3", "key", *args, "--data", data_dir],
                            capture_output=True, text=True, timeout=60)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def _field(output: str, label: str) -> str:
    for line in output.splitlines():
        if line.startswith(label + " "):
            return line[len(label) + 1:]
    pytest.fail(f"no '{label}' in: {output}")


@pytest.fixture(scope="module")
def site(server_factory):
    """A server whose store has a second key, `alt`, added before it started."""
    data_dir = server_factory.data_dir("access")
    # The store is created by the first command that opens it.
    added = _key_command(server_factory, data_dir, "add", "alt")
    alt = dict(id=_field(added.stdout, "access key id"), secret=_field(added.stdout, "secret access key"),
               canonical=_field(added.stdout, "canonical user id"))
    running = server_factory.start(data_dir)
    yield dict(server=running, alt=alt, endpoint=running.s3_endpoint)


@pytest.fixture(scope="module")
def owner(site):
    return make_s3_client(site["endpoint"])


@pytest.fixture(scope="module")
def alt_client(site):
    return make_s3_client(site["endpoint"], aws_access_key_id=site["alt"]["id"],
                          aws_secret_access_key=site["alt"]["secret"])


@pytest.fixture(scope="module")
def anonymous(site):
    session = boto3.session.Session()
    return session.client("s3", endpoint_url=site["endpoint"], region_name=REGION,
                          config=Config(signature_version=botocore.UNSIGNED))


@pytest.fixture
def bkt(owner):
    """A fresh bucket of the account with one object, `doc.txt`; emptied and deleted afterwards."""
    name = unique_name("acc")
    owner.create_bucket(Bucket=name)
    owner.put_object(Bucket=name, Key="doc.txt", Body=b"hello")
    yield name
    owner.delete_bucket_policy(Bucket=name)
    for item in owner.list_objects_v2(Bucket=name).get("Contents", []):
        owner.delete_object(Bucket=name, Key=item["Key"])
    owner.delete_bucket(Bucket=name)


def _policy(bucket, *statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


# MARK: keys


def test_key_command_adds_lists_and_removes(server_factory):
    data_dir = server_factory.data_dir("keys")
    added = _key_command(server_factory, data_dir, "add", "carol")
    key_id = _field(added.stdout, "access key id")
    assert len(key_id) == 20 and len(_field(added.stdout, "secret access key")) == 40
    assert len(_field(added.stdout, "canonical user id")) == 64
    listed = _key_command(server_factory, data_dir, "list").stdout
    assert listed.startswith("carol\t" + key_id)
    again = _key_command(server_factory, data_dir, "add", "carol", check=False)
    assert again.returncode == 1 and "exists" in again.stderr
    bad = _key_command(server_factory, data_dir, "add", "no spaces", check=False)
    assert bad.returncode == 1 and "invalid" in bad.stderr
    _key_command(server_factory, data_dir, "remove", "carol")
    assert _key_command(server_factory, data_dir, "list").stdout == ""
    gone = _key_command(server_factory, data_dir, "remove", "carol", check=False)
    assert gone.returncode == 1
    check = subprocess.run([server_factory.binary, "check", "--data", data_dir], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout


def test_second_identity_signs_but_owns_nothing(site, alt_client, bkt):
    assert alt_client.list_buckets()["Buckets"] == []
    with s3_error("AccessDenied", 403):
        alt_client.list_objects_v2(Bucket=bkt)
    with s3_error("AccessDenied", 403):
        alt_client.get_object(Bucket=bkt, Key="doc.txt")
    with s3_error("AccessDenied", 403):
        alt_client.put_object(Bucket=bkt, Key="alt.txt", Body=b"x")
    # The account's bucket name is taken for anyone else (only the owner re-creates it with 200).
    with s3_error("BucketAlreadyExists", 409):
        alt_client.create_bucket(Bucket=bkt)
    wrong = make_s3_client(site["endpoint"], aws_access_key_id=site["alt"]["id"], aws_secret_access_key="wrong" * 8)
    with s3_error("SignatureDoesNotMatch", 403):
        wrong.list_buckets()


# MARK: anonymous


def test_anonymous_requests_to_a_private_bucket_are_denied(anonymous, owner, bkt):
    with s3_error("AccessDenied", 403):
        anonymous.get_object(Bucket=bkt, Key="doc.txt")
    with s3_error("AccessDenied", 403):
        anonymous.list_objects_v2(Bucket=bkt)
    with s3_error("AccessDenied", 403):
        anonymous.put_object(Bucket=bkt, Key="anon.txt", Body=b"x")
    with s3_error("AccessDenied", 403):
        anonymous.list_buckets()
    with s3_error("NoSuchBucket", 404):
        anonymous.list_objects_v2(Bucket=unique_name("none"))
    with s3_error("404", 404):
        owner.head_object(Bucket=bkt, Key="anon.txt")


def test_public_read_bucket_lists_for_anyone_but_objects_stay_private(anonymous, owner, bkt):
    owner.put_bucket_acl(Bucket=bkt, ACL="public-read")
    grants = owner.get_bucket_acl(Bucket=bkt)["Grants"]
    assert {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"} in grants
    assert [c["Key"] for c in anonymous.list_objects_v2(Bucket=bkt)["Contents"]] == ["doc.txt"]
    with s3_error("AccessDenied", 403):
        anonymous.get_object(Bucket=bkt, Key="doc.txt")
    with s3_error("AccessDenied", 403):
        anonymous.put_object(Bucket=bkt, Key="anon.txt", Body=b"x")
    with s3_error("AccessDenied", 403):
        anonymous.get_bucket_acl(Bucket=bkt)


def test_public_read_write_bucket_takes_anonymous_writes(anonymous, owner, bkt):
    owner.put_bucket_acl(Bucket=bkt, ACL="public-read-write")
    anonymous.put_object(Bucket=bkt, Key="anon.txt", Body=b"from nobody")
    assert owner.get_object(Bucket=bkt, Key="anon.txt")["Body"].read() == b"from nobody"
    anonymous.delete_object(Bucket=bkt, Key="anon.txt")
    with s3_error("NoSuchKey", 404):
        owner.get_object(Bucket=bkt, Key="anon.txt")


def test_create_bucket_with_canned_acl(anonymous, owner):
    name = unique_name("acc")
    owner.create_bucket(Bucket=name, ACL="public-read")
    assert anonymous.list_objects_v2(Bucket=name)["KeyCount"] == 0
    owner.delete_bucket(Bucket=name)


def test_policy_opens_objects_to_anonymous_readers(anonymous, owner, bkt):
    owner.put_bucket_policy(Bucket=bkt, Policy=_policy(bkt, {
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bkt}/*"}))
    assert anonymous.get_object(Bucket=bkt, Key="doc.txt")["Body"].read() == b"hello"
    # Plain HTTP without any SDK, as a browser would.
    url = f"{owner.meta.endpoint_url}/{bkt}/doc.txt"
    assert requests.get(url, timeout=10).content == b"hello"
    with s3_error("AccessDenied", 403):
        anonymous.list_objects_v2(Bucket=bkt)
    assert owner.get_bucket_policy_status(Bucket=bkt)["PolicyStatus"]["IsPublic"] is True
    owner.delete_bucket_policy(Bucket=bkt)
    with s3_error("AccessDenied", 403):
        anonymous.get_object(Bucket=bkt, Key="doc.txt")
    with s3_error("NoSuchBucketPolicy", 404):
        owner.get_bucket_policy(Bucket=bkt)


# MARK: ACL grants to the second identity


def test_grant_headers_and_acl_xml_give_the_second_identity_access(site, owner, alt_client, bkt):
    alt = site["alt"]
    owner.put_bucket_acl(Bucket=bkt, GrantRead=f'id="{alt["canonical"]}"')
    assert [c["Key"] for c in alt_client.list_objects_v2(Bucket=bkt)["Contents"]] == ["doc.txt"]
    with s3_error("AccessDenied", 403):
        alt_client.put_object(Bucket=bkt, Key="alt.txt", Body=b"x")
    acl = owner.get_bucket_acl(Bucket=bkt)
    assert acl["Grants"] == [{"Grantee": {"Type": "CanonicalUser", "ID": alt["canonical"], "DisplayName": "alt"},
                              "Permission": "READ"}]
    # The body form: the owner keeps full control, alt may write and read the ACL.
    owner.put_bucket_acl(Bucket=bkt, AccessControlPolicy={
        "Owner": {"ID": acl["Owner"]["ID"]},
        "Grants": [
            {"Grantee": {"Type": "CanonicalUser", "ID": acl["Owner"]["ID"]}, "Permission": "FULL_CONTROL"},
            {"Grantee": {"Type": "CanonicalUser", "ID": alt["canonical"]}, "Permission": "WRITE"},
            {"Grantee": {"Type": "CanonicalUser", "ID": alt["canonical"]}, "Permission": "READ_ACP"},
        ]})
    alt_client.put_object(Bucket=bkt, Key="alt.txt", Body=b"by alt")
    assert owner.get_object(Bucket=bkt, Key="alt.txt")["Body"].read() == b"by alt"
    assert len(alt_client.get_bucket_acl(Bucket=bkt)["Grants"]) == 3
    with s3_error("AccessDenied", 403):
        alt_client.put_bucket_acl(Bucket=bkt, ACL="public-read")
    with s3_error("AccessDenied", 403):
        alt_client.list_objects_v2(Bucket=bkt)


def test_acl_document_lists_group_grants_first(owner, bkt):
    """Grants come back with the group grants first, however the document ordered them (as
    canned ACLs and grant headers are kept)."""
    owner_id = owner.get_bucket_acl(Bucket=bkt)["Owner"]["ID"]
    owner.put_bucket_acl(Bucket=bkt, AccessControlPolicy={
        "Owner": {"ID": owner_id},
        "Grants": [
            {"Grantee": {"Type": "CanonicalUser", "ID": owner_id}, "Permission": "FULL_CONTROL"},
            {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"},
        ]})
    grants = owner.get_bucket_acl(Bucket=bkt)["Grants"]
    assert [(g["Grantee"]["Type"], g["Permission"]) for g in grants] == [("Group", "READ"), ("CanonicalUser", "FULL_CONTROL")]


def test_acl_errors(owner, bkt):
    with s3_error("InvalidArgument", 400):
        owner.put_bucket_acl(Bucket=bkt, GrantRead='id="no-such-user"')
    with s3_error("InvalidArgument", 400):
        owner.put_bucket_acl(Bucket=bkt, ACL="everyone-please")
    with s3_error("UnresolvableGrantByEmailAddress", 400):
        owner.put_bucket_acl(Bucket=bkt, GrantRead='emailAddress="nobody@example.com"')
    with s3_error("InvalidRequest", 400):
        owner.put_bucket_acl(Bucket=bkt, ACL="public-read", GrantRead=f'uri="{ALL_USERS}"')
    # Nothing changed.
    assert [g["Permission"] for g in owner.get_bucket_acl(Bucket=bkt)["Grants"]] == ["FULL_CONTROL"]


# MARK: policies


def test_policy_principal_names_the_second_identity(site, anonymous, alt_client, owner, bkt):
    owner.put_bucket_policy(Bucket=bkt, Policy=_policy(bkt, {
        "Effect": "Allow", "Principal": {"AWS": site["alt"]["canonical"]}, "Action": ["s3:ListBucket", "s3:GetObject"],
        "Resource": [f"arn:aws:s3:::{bkt}", f"arn:aws:s3:::{bkt}/*"]}))
    assert alt_client.get_object(Bucket=bkt, Key="doc.txt")["Body"].read() == b"hello"
    assert alt_client.list_objects_v2(Bucket=bkt)["KeyCount"] == 1
    # Anyone else (the wrong principal) gets nothing from it.
    with s3_error("AccessDenied", 403):
        anonymous.get_object(Bucket=bkt, Key="doc.txt")
    with s3_error("AccessDenied", 403):
        alt_client.put_object(Bucket=bkt, Key="x", Body=b"x")
    assert owner.get_bucket_policy_status(Bucket=bkt)["PolicyStatus"]["IsPublic"] is False
    # A presigned URL of the second identity works the same way.
    presigner = make_s3_client(site["endpoint"], aws_access_key_id=site["alt"]["id"],
                               aws_secret_access_key=site["alt"]["secret"], config=Config(signature_version="s3v4"))
    url = presigner.generate_presigned_url("get_object", Params={"Bucket": bkt, "Key": "doc.txt"}, ExpiresIn=300)
    assert requests.get(url, timeout=10).content == b"hello"


def test_explicit_deny_beats_allow(site, alt_client, owner, bkt):
    owner.put_object(Bucket=bkt, Key="secret/plan.txt", Body=b"s")
    owner.put_bucket_policy(Bucket=bkt, Policy=_policy(
        bkt,
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{site['alt']['canonical']}:root"}, "Action": "s3:*",
         "Resource": [f"arn:aws:s3:::{bkt}", f"arn:aws:s3:::{bkt}/*"]},
        {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bkt}/secret/*"}))
    assert alt_client.get_object(Bucket=bkt, Key="doc.txt")["Body"].read() == b"hello"
    with s3_error("AccessDenied", 403):
        alt_client.get_object(Bucket=bkt, Key="secret/plan.txt")
    # A Deny binds the account too (it can still change the policy).
    with s3_error("AccessDenied", 403):
        owner.get_object(Bucket=bkt, Key="secret/plan.txt")
    result = alt_client.delete_objects(Bucket=bkt, Delete={"Objects": [{"Key": "doc.txt"}]})
    assert [d["Key"] for d in result["Deleted"]] == ["doc.txt"]


def test_policy_conditions_on_address_and_prefix(anonymous, owner, bkt):
    owner.put_object(Bucket=bkt, Key="pub/a.txt", Body=b"a")
    owner.put_bucket_policy(Bucket=bkt, Policy=_policy(
        bkt,
        {"Effect": "Allow", "Principal": "*", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bkt}",
         "Condition": {"StringLike": {"s3:prefix": "pub/*"}, "IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}},
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bkt}/*",
         "Condition": {"NotIpAddress": {"aws:SourceIp": "127.0.0.1/32"}}}))
    assert [c["Key"] for c in anonymous.list_objects_v2(Bucket=bkt, Prefix="pub/")["Contents"]] == ["pub/a.txt"]
    with s3_error("AccessDenied", 403):
        anonymous.list_objects_v2(Bucket=bkt)
    with s3_error("AccessDenied", 403):
        anonymous.get_object(Bucket=bkt, Key="pub/a.txt")


@pytest.mark.parametrize("policy", [
    "not json",
    json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}]}),
    json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                               "Resource": "arn:aws:s3:::some-other-bucket/*"}]}),
    json.dumps({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "nobody"}, "Action": "s3:GetObject",
                               "Resource": "arn:aws:s3:::BUCKET/*"}]}),
    json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                               "Resource": "arn:aws:s3:::BUCKET/*", "Condition": {"Sometimes": {"s3:prefix": "a"}}}]}),
], ids=["not-json", "no-resource", "other-bucket", "unknown-principal", "unknown-operator"])
def test_malformed_policy(owner, bkt, policy):
    with s3_error("MalformedPolicy", 400):
        owner.put_bucket_policy(Bucket=bkt, Policy=policy.replace("BUCKET", bkt))
    with s3_error("NoSuchBucketPolicy", 404):
        owner.get_bucket_policy(Bucket=bkt)


def test_policy_round_trips(owner, alt_client, bkt):
    text = _policy(bkt, {"Sid": "r", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                         "Resource": f"arn:aws:s3:::{bkt}/*"})
    owner.put_bucket_policy(Bucket=bkt, Policy=text)
    assert json.loads(owner.get_bucket_policy(Bucket=bkt)["Policy"]) == json.loads(text)
    with s3_error("AccessDenied", 403):
        alt_client.get_bucket_policy(Bucket=bkt)
    with s3_error("AccessDenied", 403):
        alt_client.delete_bucket_policy(Bucket=bkt)


# MARK: public access block and ownership controls


def test_public_access_block(anonymous, owner, bkt):
    with s3_error("NoSuchPublicAccessBlockConfiguration", 404):
        owner.get_public_access_block(Bucket=bkt)
    owner.put_bucket_acl(Bucket=bkt, ACL="public-read")
    public_policy = _policy(bkt, {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                  "Resource": f"arn:aws:s3:::{bkt}/*"})
    owner.put_bucket_policy(Bucket=bkt, Policy=public_policy)
    owner.put_public_access_block(Bucket=bkt, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    config = owner.get_public_access_block(Bucket=bkt)["PublicAccessBlockConfiguration"]
    assert config == {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                      "RestrictPublicBuckets": True}
    # IgnorePublicAcls and RestrictPublicBuckets: the public grant and policy count for nothing.
    with s3_error("AccessDenied", 403):
        anonymous.list_objects_v2(Bucket=bkt)
    with s3_error("AccessDenied", 403):
        anonymous.get_object(Bucket=bkt, Key="doc.txt")
    # BlockPublicAcls and BlockPublicPolicy: no new public ACL or policy.
    with s3_error("AccessDenied", 403):
        owner.put_bucket_acl(Bucket=bkt, ACL="public-read-write")
    with s3_error("AccessDenied", 403):
        owner.put_bucket_policy(Bucket=bkt, Policy=public_policy)
    owner.delete_public_access_block(Bucket=bkt)
    assert anonymous.get_object(Bucket=bkt, Key="doc.txt")["Body"].read() == b"hello"


def test_ownership_controls_disable_acls(anonymous, owner, bkt):
    new_bucket_name = unique_name("acc")
    with s3_error("OwnershipControlsNotFoundError", 404):
        owner.get_bucket_ownership_controls(Bucket=bkt)
    enforced = {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    # ACLs cannot be disabled while the bucket's ACL grants others.
    owner.put_bucket_acl(Bucket=bkt, ACL="public-read")
    with s3_error("InvalidBucketAclWithObjectOwnership", 400):
        owner.put_bucket_ownership_controls(Bucket=bkt, OwnershipControls=enforced)
    assert anonymous.list_objects_v2(Bucket=bkt)["KeyCount"] == 1
    owner.put_bucket_acl(Bucket=bkt, ACL="private")
    owner.put_bucket_ownership_controls(Bucket=bkt, OwnershipControls=enforced)
    assert owner.get_bucket_ownership_controls(Bucket=bkt)["OwnershipControls"]["Rules"] == enforced["Rules"]
    with s3_error("AccessControlListNotSupported", 400):
        owner.put_bucket_acl(Bucket=bkt, ACL="public-read")
    owner.put_bucket_acl(Bucket=bkt, ACL="bucket-owner-full-control")
    with s3_error("AccessDenied", 403):
        anonymous.list_objects_v2(Bucket=bkt)
    owner.delete_bucket_ownership_controls(Bucket=bkt)
    with s3_error("OwnershipControlsNotFoundError", 404):
        owner.get_bucket_ownership_controls(Bucket=bkt)
    with s3_error("InvalidBucketAclWithObjectOwnership", 400):
        owner.create_bucket(Bucket=new_bucket_name, ACL="public-read", ObjectOwnership="BucketOwnerEnforced")
    with s3_error("404", 404):
        owner.head_bucket(Bucket=new_bucket_name)


# MARK: object ACLs


def test_object_acls_from_put_copy_multipart_and_put_object_acl(anonymous, owner, bkt):
    owner.put_object(Bucket=bkt, Key="public.txt", Body=b"for all", ACL="public-read")
    assert anonymous.get_object(Bucket=bkt, Key="public.txt")["Body"].read() == b"for all"
    grants = owner.get_object_acl(Bucket=bkt, Key="public.txt")["Grants"]
    assert {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"} in grants
    # Replacing the object replaces its ACL (private again).
    owner.put_object(Bucket=bkt, Key="public.txt", Body=b"again")
    with s3_error("AccessDenied", 403):
        anonymous.get_object(Bucket=bkt, Key="public.txt")
    # A copy gets the request's ACL, not the source's.
    owner.put_object_acl(Bucket=bkt, Key="doc.txt", ACL="public-read")
    assert anonymous.get_object(Bucket=bkt, Key="doc.txt")["Body"].read() == b"hello"
    owner.copy_object(Bucket=bkt, Key="copy.txt", CopySource={"Bucket": bkt, "Key": "doc.txt"})
    with s3_error("AccessDenied", 403):
        anonymous.get_object(Bucket=bkt, Key="copy.txt")
    owner.copy_object(Bucket=bkt, Key="copy2.txt", CopySource={"Bucket": bkt, "Key": "doc.txt"},
                      GrantRead=f'uri="{ALL_USERS}"')
    assert anonymous.get_object(Bucket=bkt, Key="copy2.txt")["Body"].read() == b"hello"
    upload = owner.create_multipart_upload(Bucket=bkt, Key="mp.bin", ACL="public-read")["UploadId"]
    part = owner.upload_part(Bucket=bkt, Key="mp.bin", UploadId=upload, PartNumber=1, Body=b"m" * 10)
    owner.complete_multipart_upload(Bucket=bkt, Key="mp.bin", UploadId=upload,
                                    MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    assert anonymous.get_object(Bucket=bkt, Key="mp.bin")["Body"].read() == b"m" * 10
    owner.put_object_acl(Bucket=bkt, Key="mp.bin", ACL="private")
    with s3_error("AccessDenied", 403):
        anonymous.get_object(Bucket=bkt, Key="mp.bin")
    with s3_error("NoSuchKey", 404):
        owner.put_object_acl(Bucket=bkt, Key="missing", ACL="public-read")


def test_object_written_by_second_identity_is_its_own(site, owner, alt_client, anonymous, bkt):
    owner.put_bucket_acl(Bucket=bkt, GrantWrite=f'id="{site["alt"]["canonical"]}"')
    alt_client.put_object(Bucket=bkt, Key="mine.txt", Body=b"alt's")
    acl = alt_client.get_object_acl(Bucket=bkt, Key="mine.txt")
    assert acl["Owner"]["ID"] == site["alt"]["canonical"]
    assert alt_client.get_object(Bucket=bkt, Key="mine.txt")["Body"].read() == b"alt's"
    alt_client.put_object_acl(Bucket=bkt, Key="mine.txt", ACL="public-read")
    assert anonymous.get_object(Bucket=bkt, Key="mine.txt")["Body"].read() == b"alt's"
    # Objects it does not own stay closed to it.
    with s3_error("AccessDenied", 403):
        alt_client.get_object(Bucket=bkt, Key="doc.txt")


def test_object_acls_under_blocks_and_enforced_ownership(owner, bkt):
    owner.put_public_access_block(Bucket=bkt, PublicAccessBlockConfiguration={"BlockPublicAcls": True})
    with s3_error("AccessDenied", 403):
        owner.put_object(Bucket=bkt, Key="p.txt", Body=b"x", ACL="public-read")
    with s3_error("AccessDenied", 403):
        owner.put_object_acl(Bucket=bkt, Key="doc.txt", ACL="public-read")
    owner.delete_public_access_block(Bucket=bkt)
    owner.put_bucket_ownership_controls(Bucket=bkt, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    with s3_error("AccessControlListNotSupported", 400):
        owner.put_object(Bucket=bkt, Key="p.txt", Body=b"x", ACL="public-read")
    with s3_error("AccessControlListNotSupported", 400):
        owner.put_object(Bucket=bkt, Key="p.txt", Body=b"x", ACL="private")
    owner.put_object(Bucket=bkt, Key="p.txt", Body=b"x", ACL="bucket-owner-full-control")
    with s3_error("404", 404):
        owner.head_object(Bucket=bkt, Key="never")
