#!/usr/bin/env bash
# The engine benchmarks (issue #5), as `make bench` runs them: every workload against ShareCore
# and against raw LMDB doing the same bytes, in one run; then docs/PERFORMANCE.md's tables and
# the plot are regenerated from the figures.
#
#   bash Benchmarks/report/bench.sh                     # from the repository root
#   BENCH_SCALE=0.05 bash Benchmarks/report/bench.sh    # quick smoke run (fewer operations)
#   BENCH_FILTER='w1-.*' bash Benchmarks/report/bench.sh  # some workloads only (regex)
#   BENCH_BASELINE=main bash Benchmarks/report/bench.sh # also refresh the committed baseline
#
# package-benchmark stores the run as the baseline $BENCH_BASELINE (default `current`, not
# committed) under Benchmarks/.benchmarkBaselines; compare two with
#   cd Benchmarks && swift package benchmark baseline compare main current
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SWIFT="${SWIFT:-swift}"
PYTHON="${PYTHON:-python3}"
BASELINE="${BENCH_BASELINE:-current}"
SCALE="${BENCH_SCALE:-1}"
DATA="$ROOT/Benchmarks/.build/bench-data"
RESULTS="$ROOT/Benchmarks/.build/bench-results"
META="$ROOT/Benchmarks/.build/bench-meta.json"

PIP_ROOT_USER_ACTION=ignore "$PYTHON" -m pip install -q matplotlib

rm -rf "$DATA" "$RESULTS"
mkdir -p "$DATA" "$RESULTS"
start=$(date +%s)
load_before=$(cut -d' ' -f1 /proc/loadavg)

filter=()
if [ -n "${BENCH_FILTER:-}" ]; then filter=(--filter "$BENCH_FILTER"); fi

cd "$ROOT/Benchmarks"
SHARECORE_BENCH_DATA="$DATA" SHARECORE_BENCH_RESULTS="$RESULTS" SHARECORE_BENCH_SCALE="$SCALE" \
  "$SWIFT" package --allow-writing-to-package-directory benchmark baseline update "$BASELINE" \
  --no-progress "${filter[@]}" 2>&1 | tee "$ROOT/Benchmarks/.build/bench.log"
cd "$ROOT"

end=$(date +%s)
load_after=$(cut -d' ' -f1 /proc/loadavg)
elapsed=$((end - start))
command="make bench"
if [ "$SCALE" != "1" ]; then command="make bench BENCH_SCALE=$SCALE"; fi
cat > "$META" <<EOF
{"command": "$command", "finished": "$(date -u '+%Y-%m-%d %H:%M UTC')",
 "elapsed": "$((elapsed / 60)) min $((elapsed % 60)) s", "load_before": "$load_before",
 "load_after": "$load_after", "scale": "$SCALE"}
EOF

"$PYTHON" Benchmarks/report/report.py --results "$RESULTS" --doc docs/PERFORMANCE.md \
  --plot docs/images/write-throughput.png --meta "$META"

# The stores take several GiB; the figures stay in $RESULTS.
rm -rf "$DATA"
