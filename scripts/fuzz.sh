#!/usr/bin/env bash
# Runs cargo-fuzz targets for SECONDS each (default 600) and prints one summary line per target.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]     (all targets when none is given)
# cargo-fuzz needs nightly features; RUSTC_BOOTSTRAP lets the stable toolchain provide them.
# Sanitizers are off (-s none): the crate forbids unsafe code; libFuzzer still finds panics,
# overflows (debug assertions on), timeouts and out-of-memory.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
secs=${1:-600}; shift || true
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(RUSTC_BOOTSTRAP=1 cargo fuzz list)
export RUSTC_BOOTSTRAP=1
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  # Seed from the project's sample files.
  cp -n ../testdata/lds/generated/*.bin "corpus/$t/" 2>/dev/null || true
  log="target/fuzz-$t.log"; mkdir -p target
  set +e
  cargo fuzz run -s none --debug-assertions "$t" "corpus/$t" -- \
    -max_total_time="$secs" -rss_limit_mb=2048 -max_len=70000 >"$log" 2>&1
  rc=$?
  set -e
  execs=$(grep -aEo '^#[0-9]+' "$log" | tail -1 | tr -d '#')
  crashes=$(ls "artifacts/$t" 2>/dev/null | wc -l)
  echo "fuzz $t: ${secs}s, ${execs:-0} executions, exit $rc, ${crashes} artifacts"
done
