#!/usr/bin/env bash
# The main job (README command 1). For now: the CLI on bundled sample data.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/inspectd
echo "== inspectd mrz (ICAO Doc 9303 Part 4 specimen) =="
"$bin" mrz 'P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<' 'L898902C36UTO7408122F1204159ZE184226B<<<<<10' || true
echo
echo "== inspectd lds (generated synthetic passport) =="
"$bin" lds testdata/lds/generated/*.bin || true
