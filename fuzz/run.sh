#!/bin/sh
# Runs fuzz/bin/fuzz-readers on each reader for SECONDS (default 300), one after another,
# with libFuzzer's limits: 10 s per input, 256 MiB per allocation, 2 GiB resident. The
# corpus grows under fuzz/corpus/<reader> from fuzz/seeds/<reader>; a crashing input is
# saved under fuzz/findings/<reader>/ and the script exits 1.
# Usage: fuzz/run.sh [SECONDS] [READER ...]
set -u
seconds=${1:-300}
[ $# -gt 0 ] && shift
readers=${*:-idx csv packed zip}
status=0
cd "$(dirname "$0")"
for reader in $readers; do
  mkdir -p "corpus/$reader" "findings/$reader"
  echo "fuzz: $reader for $seconds s"
  if ! FUZZ_TARGET=$reader bin/fuzz-readers -max_total_time="$seconds" -timeout=10 -malloc_limit_mb=256 \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="findings/$reader/" \
      "corpus/$reader" "seeds/$reader" > "findings/$reader.log" 2>&1; then
    status=1
    echo "fuzz: $reader FAILED; see fuzz/findings/$reader.log and copy the input into fuzz/regressions/$reader/"
  fi
  grep -E "^Done|stat::number_of_executed_units|stat::peak_rss_mb" "findings/$reader.log" | sed "s/^/fuzz: $reader: /"
done
exit $status
