#!/usr/bin/env bash
# Runs the whole of ceph/s3-tests' s3tests/functional/test_s3.py against a fresh
# `sharecore serve` and prints, per feature group, how many tests passed, failed, errored and
# were skipped (every test of the file is in exactly one group; `other` takes the rest).
#
# Usage: Tests/s3-tests/run.sh S3TESTS_DIR [GROUP...]
#   S3TESTS_DIR  a checkout of https://github.com/ceph/s3-tests (not part of this repository)
#   GROUP        any of the groups below (default: all of them, i.e. the whole file)
#
# Environment:
#   SHARECORE_BIN  the server binary (default: <repo>/.build/debug/sharecore; build it first)
#   PYTHON         a Python with s3-tests' requirements installed (default: python3), e.g.
#                    python3 -m venv /tmp/s3t-venv
#                    /tmp/s3t-venv/bin/pip install -r S3TESTS_DIR/requirements.txt
#                    PYTHON=/tmp/s3t-venv/bin/python Tests/s3-tests/run.sh S3TESTS_DIR
#   OUT_DIR        where the JUnit XML files, per-test results, the config and the server log go
#                  (default: a new temporary directory, printed at the end)
#   GROUP_TIMEOUT  seconds one group may run before it is stopped (default: 1800)
#
# The server gets a new data directory, the S3 front on a free port and the other fronts off,
# accepts SSE-C keys over plain HTTP (--s3-sse-c-over-http), as Ceph's own test rigs set
# rgw_crypt_require_ssl = false (the suite talks HTTP to a loopback server), and has the two KMS
# keys the suite names (kms_keyid, kms_keyid2: testkey-1, testkey-2), as RGW's testing KMS does.
# s3-tests' main user is the account; its alt user is a second identity made with
# `sharecore s3 key add alt` before the server starts. The tenant and IAM users get the
# account's key (ShareCore has no tenants or IAM), so tests that need them differ: a finding.
# Per-test results (test name, outcome, group, first line of the message) are written to
# OUT_DIR/results.tsv.

set -uo pipefail

usage() { sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
[ $# -ge 1 ] || usage
case "$1" in -h|--help) usage ;; esac

S3TESTS_DIR="$(cd "$1" 2>/dev/null && pwd)" || { echo "no such directory: $1" >&2; exit 2; }
shift
[ -f "$S3TESTS_DIR/s3tests/functional/test_s3.py" ] || {
  echo "$S3TESTS_DIR is not an s3-tests checkout (no s3tests/functional/test_s3.py)" >&2; exit 2; }

HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
BIN="${SHARECORE_BIN:-$REPO/.build/debug/sharecore}"
PYTHON="${PYTHON:-python3}"
case "$PYTHON" in */*) PYTHON="$(cd "$(dirname "$PYTHON")" && pwd)/$(basename "$PYTHON")" ;; esac
GROUP_TIMEOUT="${GROUP_TIMEOUT:-1800}"
[ -x "$BIN" ] || { echo "no server binary at $BIN (run swift build, or set SHARECORE_BIN)" >&2; exit 2; }
"$PYTHON" -c 'import boto3, botocore, pytest, munch, isodate, lxml' 2>/dev/null || {
  echo "$PYTHON lacks s3-tests' requirements: pip install -r $S3TESTS_DIR/requirements.txt (in a venv)" >&2
  exit 2; }

# Group name -> regular expression on the test function name (anchored at its start). A test
# belongs to the first group in ALL_GROUPS whose pattern matches; `other` takes the rest.
declare -A PATTERNS=(
  [versioning]='test_(.*versioning|.*versioned|.*_version|object_lock|.*object_lock|.*legal_hold|.*retention|versioned)'
  [encryption]='test_(.*sse|.*encrypt|.*encryption)'
  [tagging]='test_(.*tagging|.*_tags?($|_)|get_obj_head_tagging|put_max|put_excess|put_modify|put_delete_tags)'
  [cors]='test_(.*cors)'
  [post]='test_(post_object)'
  [lifecycle]='test_(lifecycle|.*lifecycle)'
  [access]='test_(.*acl|.*policy|.*public_?(access|block|policy)|.*ownership|.*anon|.*_bad_auth|.*_alt_|.*_grant|object_raw_(get|put|authenticated|response)|bucket_(create|list)_.*(private|public)|.*access_bucket|.*bucket_access|block_public)'
  [bucket]='test_(bucket_(create|delete|head|notexist|recreate|get_location)|bucketv2_notexist|buckets_(create_then_list|list_ctime)|list_buckets_)'
  [object]='test_(object_(write|read|head_|put_authenticated|set_get|metadata|delete_key|requestid|content_encoding|checksum)|multi_object(v2)?_delete|get_object_if|put_object_if(match|nonmatch)_)'
  [listing]='test_(bucket_list(v2)?_|basic_key_count)'
  [multipart]='test_(multipart_|abort_multipart_upload|list_multipart_upload|non_multipart_get_part|upload_part_copy_percent|atomic_multipart_upload_write)'
  [ranged]='test_ranged_'
  [copy]='test_(object_copy_|copy_object_if)'
  [other]='test_'
)
ALL_GROUPS=(versioning encryption tagging cors post lifecycle access bucket object listing multipart ranged copy other)
GROUPS_TO_RUN=("$@")
[ ${#GROUPS_TO_RUN[@]} -gt 0 ] || GROUPS_TO_RUN=("${ALL_GROUPS[@]}")
for g in "${GROUPS_TO_RUN[@]}"; do
  [ -n "${PATTERNS[$g]:-}" ] || { echo "unknown group: $g (known: ${ALL_GROUPS[*]})" >&2; exit 2; }
done

OUT_DIR="${OUT_DIR:-$(mktemp -d /tmp/sharecore-s3tests.XXXXXX)}"
mkdir -p "$OUT_DIR" && OUT_DIR="$(cd "$OUT_DIR" && pwd)" || exit 2
DATA_DIR="$(mktemp -d /tmp/sharecore-s3tests-data.XXXXXX)"
SERVER_PID=""

cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$SERVER_PID" 2>/dev/null
  fi
  rm -rf "$DATA_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ACCESS_KEY="devstoreaccount1"
SECRET_KEY="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
PORT="$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"

# The alt user: a second identity in the store, made before the server opens it.
"$BIN" s3 key add alt --data "$DATA_DIR" >"$OUT_DIR/alt-key.txt" 2>&1 || {
  echo "sharecore s3 key add failed:" >&2; cat "$OUT_DIR/alt-key.txt" >&2; exit 1; }
alt_field() { sed -n "s/^$1 //p" "$OUT_DIR/alt-key.txt"; }
ALT_ACCESS_KEY="$(alt_field 'access key id')"
ALT_SECRET_KEY="$(alt_field 'secret access key')"
ALT_USER_ID="$(alt_field 'canonical user id')"
[ -n "$ALT_ACCESS_KEY" ] && [ -n "$ALT_SECRET_KEY" ] && [ -n "$ALT_USER_ID" ] || {
  echo "unexpected output of sharecore s3 key add:" >&2; cat "$OUT_DIR/alt-key.txt" >&2; exit 1; }

"$BIN" serve --data "$DATA_DIR" --host 127.0.0.1 --s3-port "$PORT" --file-port 0 --mgmt-port 0 --iis-port 0 \
  --durability fast --s3-sse-c-over-http --s3-kms-key-id testkey-1 --s3-kms-key-id testkey-2 >"$OUT_DIR/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 150); do
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "the server exited:" >&2; cat "$OUT_DIR/server.log" >&2; exit 1; }
  "$PYTHON" -c "import socket,sys; socket.create_connection(('127.0.0.1',$PORT),0.5)" 2>/dev/null && break
  sleep 0.2
done
"$PYTHON" -c "import socket; socket.create_connection(('127.0.0.1',$PORT),0.5)" 2>/dev/null || {
  echo "the server did not listen on port $PORT in 30 s" >&2; cat "$OUT_DIR/server.log" >&2; exit 1; }

# Bucket names are share names: lowercase letters, digits, single hyphens, 3 to 63 characters.
# s3-tests pads {random} with lowercase letters and digits to a 30-character prefix.
CONF="$OUT_DIR/s3tests.conf"
user_section() { # name display_name user_id email access_key secret_key
  printf '[%s]\ndisplay_name = %s\nuser_id = %s\nemail = %s\naccess_key = %s\nsecret_key = %s\n' "$@"
}
{
  printf '[DEFAULT]\nhost = 127.0.0.1\nport = %s\nis_secure = False\nssl_verify = False\n\n' "$PORT"
  printf '[fixtures]\nbucket prefix = s3t-{random}-\n\n'
  user_section "s3 main" "$ACCESS_KEY" "$ACCESS_KEY" "main@example.com" "$ACCESS_KEY" "$SECRET_KEY"
  printf 'api_name = \nkms_keyid = testkey-1\nkms_keyid2 = testkey-2\n\n'
  user_section "s3 alt" "alt" "$ALT_USER_ID" "alt@example.com" "$ALT_ACCESS_KEY" "$ALT_SECRET_KEY"; echo
  user_section "s3 tenant" "$ACCESS_KEY" "$ACCESS_KEY" "tenant@example.com" "$ACCESS_KEY" "$SECRET_KEY"
  printf 'tenant = devstoreaccount1\n\n'
  user_section "iam" "$ACCESS_KEY" "$ACCESS_KEY" "iam@example.com" "$ACCESS_KEY" "$SECRET_KEY"; echo
  user_section "iam root" "$ACCESS_KEY" "$ACCESS_KEY" "root@example.com" "$ACCESS_KEY" "$SECRET_KEY"; echo
  user_section "iam alt root" "$ACCESS_KEY" "$ACCESS_KEY" "altroot@example.com" "$ACCESS_KEY" "$SECRET_KEY"
} >"$CONF"

export S3TEST_CONF="$CONF" AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null \
  AWS_SHARED_CREDENTIALS_FILE=/dev/null PYTHONDONTWRITEBYTECODE=1
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL

cd "$S3TESTS_DIR" || exit 2
COMMIT="$(git -C "$S3TESTS_DIR" rev-parse HEAD 2>/dev/null || echo unknown)"
"$PYTHON" -m pytest -p no:cacheprovider --collect-only -q s3tests/functional/test_s3.py \
  >"$OUT_DIR/collected.txt" 2>"$OUT_DIR/collect.err" || {
  echo "collecting the tests failed:" >&2; cat "$OUT_DIR/collect.err" "$OUT_DIR/collected.txt" >&2; exit 1; }

# Tests s3-tests marks fails_on_aws check RGW behaviour that AWS S3 itself does not have.
"$PYTHON" -m pytest -p no:cacheprovider --collect-only -q -m fails_on_aws s3tests/functional/test_s3.py \
  2>/dev/null | grep '::' | sed 's/.*:://' >"$OUT_DIR/fails_on_aws.txt"

# Each collected test goes to the first group whose pattern matches its name.
"$PYTHON" - "$OUT_DIR" "${ALL_GROUPS[@]}" <<PYEOF
import re, sys
out, groups = sys.argv[1], sys.argv[2:]
patterns = {
$(for g in "${ALL_GROUPS[@]}"; do printf '    "%s": r"%s",\n' "$g" "${PATTERNS[$g]}"; done)
}
ids = [l.strip() for l in open(f"{out}/collected.txt") if "::" in l]
chosen = {g: [] for g in groups}
for test_id in ids:
    name = test_id.split("::")[-1]
    for g in groups:
        if re.match(patterns[g], name):
            chosen[g].append(test_id)
            break
for g in groups:
    open(f"{out}/{g}.tests", "w").write("".join(t + "\n" for t in chosen[g]))
PYEOF

echo "s3-tests $COMMIT, server on 127.0.0.1:$PORT, output in $OUT_DIR"
echo "$(grep -c '::' "$OUT_DIR/collected.txt") tests in s3tests/functional/test_s3.py"
XMLS=()
for g in "${GROUPS_TO_RUN[@]}"; do
  count=$(wc -l <"$OUT_DIR/$g.tests")
  echo "== $g: $count tests"
  [ "$count" -gt 0 ] || continue
  mapfile -t ids <"$OUT_DIR/$g.tests"
  timeout "$GROUP_TIMEOUT" "$PYTHON" -m pytest -p no:cacheprovider -q -rN --tb=short \
    --junitxml="$OUT_DIR/$g.xml" -o junit_suite_name="$g" "${ids[@]}" >"$OUT_DIR/$g.log" 2>&1
  rc=$?
  tail -1 "$OUT_DIR/$g.log"
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "the server exited during group $g (see $OUT_DIR/server.log)" >&2; exit 1; }
  [ $rc -ne 124 ] || echo "group $g stopped after ${GROUP_TIMEOUT}s" >&2
  [ -f "$OUT_DIR/$g.xml" ] || { echo "group $g wrote no JUnit XML (see $OUT_DIR/$g.log)" >&2; exit 1; }
  XMLS+=("$OUT_DIR/$g.xml")
done

echo
echo "s3-tests commit: $COMMIT"
"$PYTHON" "$HERE/summarize.py" --rgw-only "$OUT_DIR/fails_on_aws.txt" "${XMLS[@]}"
"$PYTHON" "$HERE/summarize.py" --results "$OUT_DIR/results.tsv" "${XMLS[@]}" >/dev/null
echo "details: $OUT_DIR (per group: .tests, .log, .xml; results.tsv; server.log; s3tests.conf)"
