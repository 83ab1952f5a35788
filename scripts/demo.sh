#!/usr/bin/env bash
# README command 1: the main job, as far as this build goes. Reads the synthetic passport
# through the in-process virtual chip (BAC, secure messaging, every file EF.SOD lists), writes
# the dump, and shows what the files hold. Needs only the Rust toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
echo "== building (release) =="
cargo build --release --quiet --bin inspectd
bin=target/release/inspectd
dump=${DEMO_DIR:-target/demo/dump}
rm -rf "$dump"

mrz1='P<UTOSPECIMEN<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<'
mrz2='U123456784UTO8501019F3512311<<<<<<<<<<<<<<06'

echo; echo "== 1. the printed MRZ, as the officer scans it: inspectd mrz =="
"$bin" mrz "$mrz1" "$mrz2"

echo; echo "== 2. the chip, through the virtual reader: inspectd read --virtual =="
"$bin" read --virtual --mrz "$mrz1" "$mrz2" --out "$dump"

echo; echo "== 3. what the chip files hold: inspectd lds =="
"$bin" lds "$dump"/*.bin

echo; echo "== 4. a clone: the same files, bit for bit, on another chip (no private AA key) =="
"$bin" read --virtual "$dump" --mrz "$mrz1" "$mrz2" | tail -2 || echo "(exit $?: Active Authentication failed: a clone)"

echo; echo "== 5. a wrong MRZ: the chip refuses BAC =="
"$bin" read --virtual --document-number U12345678 --date-of-birth 850101 --date-of-expiry 351230 || echo "(exit $?: refused, as it should be)"
