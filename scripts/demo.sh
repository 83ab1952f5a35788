#!/usr/bin/env bash
# README command 1: the main job. Installs what is missing, builds, starts pcscd with the
# vsmartcard virtual reader and serves a synthetic passport on it (`inspectd sim`), starts the
# inspectd gRPC service with its embedded defaults (embedded trust store and watchlist under
# target/demo), and inspects the passport through the service: PC/SC, BAC, secure messaging,
# every file EF.SOD lists, Chip and Active Authentication, Passive Authentication, watchlist.
# Then the other verdicts: a listed document, tampered data, a clone, an unknown CSCA.
# Needs only the Rust toolchain (and root or sudo for apt).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
echo "== building (release) =="
cargo build --release --quiet --bin inspectd
bin=$(realpath "${CARGO_TARGET_DIR:-target}")/release/inspectd
work=$PWD/target/demo
# A service an earlier demo left running uses $work: stop it first.
pkill -f "inspectd serve --insecure --listen 127.0.0.1:50051" 2>/dev/null || true
rm -rf "$work"; mkdir -p "$work"
. scripts/pcscd.sh
SIM_PID=""; SERVE_PID=""
cleanup() {
  [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null || true
  [ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null || true
}
trap 'cleanup; [ -n "$PCSCD_PID" ] && kill "$PCSCD_PID" 2>/dev/null || true' EXIT

mrz1='P<UTOSPECIMEN<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<'
mrz2='U123456784UTO8501019F3512311<<<<<<<<<<<<<<06'
reader="Virtual PCD 00 00"
port=50551
export INSPECTD_SERVER="http://127.0.0.1:$port"
client() { "$bin" client "$@"; }

echo; echo "== 1. a passport on the PC/SC virtual reader (inspectd sim: PACE, Chip and Active Authentication) =="
"$bin" sim --vpcd 127.0.0.1:35963 --profile pace-ca-aa --repeat >"$work/sim.log" 2>&1 &
SIM_PID=$!
for _ in $(seq 50); do "$bin" readers | grep -q "$reader.*card present" && break; sleep 0.1; done
"$bin" readers

echo; echo "== 2. the service, embedded defaults: inspectd serve (plain-text loopback for the demo) =="
mkdir -p "$work/trust"
"$bin" serve --insecure --listen "127.0.0.1:$port" --metrics-listen 127.0.0.1:50552 \
  --trust-store "$work/trust" --watchlist "$work/watchlist" \
  --audit-log "$work/audit.log" --audit-key "$work/audit.key" >"$work/serve.log" 2>&1 &
SERVE_PID=$!
for _ in $(seq 100); do client readers >/dev/null 2>&1 && break; sleep 0.1; done
client readers

echo; echo "== 3. load the test PKI's CSCA and CRL (AdminService.ImportTrust) =="
client import-trust testdata/pki/csca-rsa.der testdata/pki/crl-rsa.der
printf 'issuing_state,document_type,document_number,status\nUTO,P,X00000001,lost\n' >"$work/sltd.csv"
client import-watchlist --list sltd "$work/sltd.csv"

echo; echo "== 4. inspect the passport on the PC/SC reader (ReadDocument, streamed; expect VALID) =="
client read --reader "$reader" --mrz "$mrz1" "$mrz2"

echo; echo "== 5. the document is reported stolen (ImportWatchlist, CheckDocument, then read: expect INVALID) =="
printf 'issuing_state,document_type,document_number,status\nUTO,P,X00000001,lost\nUTO,P,U12345678,stolen\n' >"$work/sltd.csv"
client import-watchlist --list sltd "$work/sltd.csv"
client check --issuing-state UTO --document-type P --document-number U12345678 || true
client read --reader "$reader" --mrz "$mrz1" "$mrz2" | grep -E "VERDICT|watchlist" || true
printf 'issuing_state,document_type,document_number,status\nUTO,P,X00000001,lost\n' >"$work/sltd.csv"
client import-watchlist --list sltd "$work/sltd.csv" >/dev/null

echo; echo "== 6. files read elsewhere, one field of DG11 changed (VerifyDocument: expect INVALID) =="
"$bin" read --virtual --mrz "$mrz1" "$mrz2" --trust testdata/pki/csca-rsa.der --out "$work/dump" >/dev/null || true
cp -r "$work/dump" "$work/tampered"
sed -i 's/TESTER/HACKER/' "$work/tampered/DG11.bin"
client verify "$work/tampered" --mrz "$mrz1" "$mrz2" | grep -E "VERDICT|dg_hashes" || true

echo; echo "== 7. a clone: genuine files on a chip without the keys (expect INVALID: CA fails) =="
kill "$SIM_PID" 2>/dev/null || true; wait "$SIM_PID" 2>/dev/null || true
"$bin" sim --vpcd 127.0.0.1:35963 --dataset "$work/dump" --repeat >"$work/sim.log" 2>&1 &
SIM_PID=$!
sleep 1
client read --reader "$reader" --mrz "$mrz1" "$mrz2" | grep -E "VERDICT|chip auth|active auth|^  (ca|aa) " || true

echo; echo "== 8. a wrong MRZ: the chip refuses access =="
client read --reader "$reader" --mrz "$mrz1" "${mrz2/3512311/3512300}" || echo "(exit $?: refused, as it should be)"

echo; echo "== 9. what the operator sees: status, metrics, the audit log (no personal data) =="
client status
curl -s http://127.0.0.1:50552/metrics 2>/dev/null | grep -E '^inspectd_inspections_total' || true
tail -n 3 "$work/audit.log"

# Leave a service running for exploration: the same trust store and watchlist, the in-process
# virtual reader (pcscd and the PC/SC card stop with this script).
cleanup; SIM_PID=""; SERVE_PID=""
sleep 0.5
nohup setsid "$bin" serve --insecure --listen 127.0.0.1:50051 --virtual-reader --no-pcsc \
  --trust-store "$work/trust" --watchlist "$work/watchlist" \
  --audit-log "$work/audit.log" --audit-key "$work/audit.key" >"$work/serve-left.log" 2>&1 &
echo
echo "The service is left running on 127.0.0.1:50051 (pid $!, log $work/serve-left.log) with the"
echo "in-process virtual reader. Try:"
echo "  $bin client --server http://127.0.0.1:50051 read --reader 'inspectd virtual reader' --mrz '$mrz1' '$mrz2'"
echo "  grpcurl -plaintext 127.0.0.1:50051 list                      # reflection"
echo "  grpcurl -plaintext -d '{\"issuingState\":\"UTO\",\"documentType\":\"P\",\"documentNumber\":\"X00000001\"}' \\"
echo "      127.0.0.1:50051 inspectd.v1.InspectionService/CheckDocument"
echo "Stop it with: kill $!"
