"""The aws CLI (v1, from pip) against the S3 front: cp up and down, sync a tree up and down,
ls, rm --recursive and rb."""

import os
import subprocess
import sys
import time

import pytest

from compat_helpers import ACCOUNT, ACCOUNT_KEY, KiB, MiB, pattern
from s3_helpers import REGION, multipart_etag, quoted_md5

CLI_TIMEOUT = 120


@pytest.fixture
def aws(s3_endpoint, tmp_path):
    """Runs `aws --endpoint-url <server> ARGS...` (the awscli installed for this Python) with
    the account's credentials in the environment and no user configuration; returns stdout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({
        "AWS_ACCESS_KEY_ID": ACCOUNT,
        "AWS_SECRET_ACCESS_KEY": ACCOUNT_KEY,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    })

    def run(*args, check=True):
        command = [sys.executable, "-m", "awscli", "--endpoint-url", s3_endpoint, *args]
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=CLI_TIMEOUT)
        if check and result.returncode != 0:
            pytest.fail(f"{' '.join(args)} exited with {result.returncode}:\n{result.stdout}\n{result.stderr}")
        return result

    return run


def _make_tree(root, seed=0):
    """~30 files in nested directories (one name with a space, an empty file, one file large
    enough for a multipart upload); every mtime an hour ago, so that a second sync has nothing
    to do whatever the timestamps' precision."""
    files = {}
    for i in range(28):
        depth = i % 4
        directory = "/".join(["level" + str(d) for d in range(depth)])
        name = f"file {i}.txt" if i % 7 == 3 else f"f{i}.bin"
        rel = f"{directory}/{name}" if directory else name
        files[rel] = pattern((i * 977) % (40 * KiB), seed=seed + i)
    files["docs/readme.md"] = b"# readme\n"
    files["docs/empty.txt"] = b""
    files["big/nine.bin"] = pattern(9 * MiB, seed=seed + 99)
    an_hour_ago = time.time() - 3600
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        os.utime(path, (an_hour_ago, an_hour_ago))
    return files


def _read_tree(root):
    out = {}
    for directory, _, names in os.walk(root):
        for name in names:
            path = os.path.join(directory, name)
            out[os.path.relpath(path, root).replace(os.sep, "/")] = open(path, "rb").read()
    return out


def test_cp_up_and_down(aws, s3_client, bucket, tmp_path):
    small = tmp_path / "small.txt"
    small.write_bytes(b"hello from the aws cli\n")
    aws("s3", "cp", str(small), f"s3://{bucket}/cli/small.txt", "--content-type", "text/plain",
        "--metadata", "origin=cli")
    head = s3_client.head_object(Bucket=bucket, Key="cli/small.txt")
    assert head["ETag"] == quoted_md5(small.read_bytes())
    assert head["ContentType"] == "text/plain"
    assert head["Metadata"] == {"origin": "cli"}

    big = tmp_path / "big.bin"
    data = pattern(20 * MiB, seed=20)
    big.write_bytes(data)
    aws("s3", "cp", str(big), f"s3://{bucket}/cli/big.bin")
    # The CLI's defaults (8 MiB threshold and parts) make this a 3-part upload.
    assert s3_client.head_object(Bucket=bucket, Key="cli/big.bin")["ETag"] == \
        multipart_etag([data[0:8 * MiB], data[8 * MiB:16 * MiB], data[16 * MiB:]])

    down = tmp_path / "down"
    aws("s3", "cp", f"s3://{bucket}/cli/small.txt", str(down / "small.txt"))
    aws("s3", "cp", f"s3://{bucket}/cli/big.bin", str(down / "big.bin"))
    assert (down / "small.txt").read_bytes() == small.read_bytes()
    assert (down / "big.bin").read_bytes() == data

    # cp of a missing key fails with the CLI's 404 message.
    missing = aws("s3", "cp", f"s3://{bucket}/cli/missing", str(down / "missing"), check=False)
    assert missing.returncode != 0
    assert "404" in missing.stderr or "Not Found" in missing.stderr


def test_sync_ls_rm_rb(aws, s3_client, service, new_bucket_name, tmp_path):
    bucket = new_bucket_name
    aws("s3", "mb", f"s3://{bucket}")
    assert bucket in aws("s3", "ls").stdout

    source = tmp_path / "source"
    files = _make_tree(source)
    assert len(files) >= 30
    up = aws("s3", "sync", str(source), f"s3://{bucket}/tree")
    assert up.stdout.count("upload:") == len(files)

    listed = [o["Key"] for p in s3_client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
              for o in p.get("Contents", [])]
    assert listed == sorted((f"tree/{rel}" for rel in files), key=lambda k: k.encode())
    # The files are where FileREST users expect them.
    share = service.get_share_client(bucket)
    assert share.get_file_client("tree/docs/readme.md").download_file().readall() == b"# readme\n"

    # Nothing changed: a second sync uploads nothing.
    again = aws("s3", "sync", str(source), f"s3://{bucket}/tree")
    assert "upload:" not in again.stdout, again.stdout

    target = tmp_path / "target"
    down = aws("s3", "sync", f"s3://{bucket}/tree", str(target))
    assert down.stdout.count("download:") == len(files)
    assert _read_tree(target) == files

    # A changed file is uploaded again by the next sync, and only that one.
    (source / "docs" / "readme.md").write_bytes(b"# readme, changed\n")
    changed = aws("s3", "sync", str(source), f"s3://{bucket}/tree")
    assert changed.stdout.count("upload:") == 1
    assert s3_client.get_object(Bucket=bucket, Key="tree/docs/readme.md")["Body"].read() == b"# readme, changed\n"

    # ls: one level, with PRE lines for directories; --recursive lists every key.
    top = aws("s3", "ls", f"s3://{bucket}/tree/").stdout.splitlines()
    prefixes = sorted(line.split()[1] for line in top if line.split()[0] == "PRE")
    assert prefixes == ["big/", "docs/", "level0/"]
    top_files = sorted(line.split(maxsplit=3)[3] for line in top if line.split()[0] != "PRE")
    assert top_files == sorted(rel for rel in files if "/" not in rel)
    recursive = aws("s3", "ls", f"s3://{bucket}", "--recursive").stdout.splitlines()
    keys = {line.split(maxsplit=3)[3]: int(line.split(maxsplit=3)[2]) for line in recursive}
    files["docs/readme.md"] = b"# readme, changed\n"
    assert keys == {f"tree/{rel}": len(data) for rel, data in files.items()}

    # rm --recursive empties the bucket (emptied directories go with their files) ...
    removed = aws("s3", "rm", f"s3://{bucket}", "--recursive")
    assert removed.stdout.count("delete:") == len(files)
    assert s3_client.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    assert list(share.list_directories_and_files()) == []
    # ... so rb succeeds.
    aws("s3", "rb", f"s3://{bucket}")
    assert bucket not in aws("s3", "ls").stdout


def test_rb_of_a_non_empty_bucket_fails_and_force_works(aws, s3_client, new_bucket_name, tmp_path):
    bucket = new_bucket_name
    s3_client.create_bucket(Bucket=bucket)
    for key in ["x/1", "x/y/2", "3"]:
        s3_client.put_object(Bucket=bucket, Key=key, Body=b"data")
    refused = aws("s3", "rb", f"s3://{bucket}", check=False)
    assert refused.returncode != 0
    assert "BucketNotEmpty" in refused.stderr
    aws("s3", "rb", f"s3://{bucket}", "--force")
    assert bucket not in [b["Name"] for b in s3_client.list_buckets()["Buckets"]]
