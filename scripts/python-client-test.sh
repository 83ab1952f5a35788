#!/usr/bin/env bash
# The independent-client test (called by scripts/test.sh): Python stubs generated from proto/
# with grpcio-tools (from PyPI, into a virtualenv under target/) call a running `inspectd serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
work=target/pyclient
rm -rf "$work/data" "$work/gen"; mkdir -p "$work/data" "$work/gen"
if [ ! -x "$work/venv/bin/python" ] || ! "$work/venv/bin/python" -c "import grpc_tools" 2>/dev/null; then
  python3 -m venv "$work/venv"
  "$work/venv/bin/pip" install -q "grpcio-tools>=1.60,<2"
fi
"$work/venv/bin/python" -m grpc_tools.protoc -Iproto --python_out="$work/gen" \
  --grpc_python_out="$work/gen" proto/inspectd/v1/inspection.proto proto/inspectd/v1/service.proto
cargo build -q --bin inspectd
bin=${CARGO_TARGET_DIR:-target}/debug/inspectd
mrz1='P<UTOSPECIMEN<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<'
mrz2='U123456784UTO8501019F3512311<<<<<<<<<<<<<<06'
"$bin" read --virtual --mrz "$mrz1" "$mrz2" --trust testdata/pki/csca-rsa.der --out "$work/data/dump" >/dev/null || true
"$bin" trust import --trust-store "$work/data/trust" testdata/pki/csca-rsa.der testdata/pki/crl-rsa.der >/dev/null
printf 'issuing_state,document_type,document_number,status\nUTO,P,X00000001,lost\n' >"$work/data/wl.csv"
"$bin" watchlist import --store "$work/data/wl" --list sltd "$work/data/wl.csv" >/dev/null
port=$((40000 + RANDOM % 20000))
"$bin" serve --insecure --no-pcsc --listen "127.0.0.1:$port" --trust-store "$work/data/trust" \
  --watchlist "$work/data/wl" >"$work/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do "$bin" client --server "http://127.0.0.1:$port" status >/dev/null 2>&1 && break; sleep 0.1; done
SERVER="127.0.0.1:$port" PYGEN="$work/gen" DUMP="$work/data/dump" "$work/venv/bin/python" tests/python/client_test.py
