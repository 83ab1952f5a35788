#!/usr/bin/env bash
# README command 1: the main job, as far as this build goes. Installs what is missing, builds,
# starts pcscd with the vsmartcard virtual reader, serves the synthetic passport on it with
# `inspectd sim`, and inspects it through PC/SC: BAC, secure messaging, every file EF.SOD lists,
# Active Authentication, Passive Authentication against the test PKI. Then a tampered document
# and a clone show the other verdicts. Needs only the Rust toolchain (and root or sudo for apt).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
echo "== building (release) =="
cargo build --release --quiet --bin inspectd
bin=target/release/inspectd
work=target/demo
rm -rf "$work"; mkdir -p "$work"
. scripts/pcscd.sh
SIM_PID=""
cleanup() { [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null || true; }
trap 'cleanup; [ -n "$PCSCD_PID" ] && kill "$PCSCD_PID" 2>/dev/null || true' EXIT

mrz1='P<UTOSPECIMEN<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<'
mrz2='U123456784UTO8501019F3512311<<<<<<<<<<<<<<06'
trust=(--trust testdata/pki/csca-rsa.der --trust testdata/pki/crl-rsa.der)
reader="Virtual PCD 00 00"

echo; echo "== 1. the printed MRZ, as the officer scans it: inspectd mrz =="
"$bin" mrz "$mrz1" "$mrz2"

echo; echo "== 2. a passport on the virtual reader: inspectd sim, then inspectd readers =="
"$bin" sim --vpcd 127.0.0.1:35963 >"$work/sim.log" 2>&1 &
SIM_PID=$!
for _ in $(seq 50); do "$bin" readers | grep -q "$reader.*card present" && break; sleep 0.1; done
"$bin" readers

echo; echo "== 3. inspect it through PC/SC: inspectd read --reader (expect VALID) =="
"$bin" read --reader "$reader" --mrz "$mrz1" "$mrz2" "${trust[@]}" --out "$work/dump"
cleanup; SIM_PID=""

echo; echo "== 4. what the chip files hold: inspectd lds (DG1, DG14, DG15) =="
"$bin" lds "$work/dump/DG1.bin" "$work/dump/DG14.bin" "$work/dump/DG15.bin"

echo; echo "== 5. tampered data: one field of DG11 changed on the chip (expect INVALID) =="
cp -r "$work/dump" "$work/tampered"
sed -i 's/TESTER/HACKER/' "$work/tampered/DG11.bin"
"$bin" read --virtual "$work/tampered" --mrz "$mrz1" "$mrz2" "${trust[@]}" | grep -E "VERDICT|dg_hashes|active auth" || true

echo; echo "== 6. a clone: the same files, bit for bit, on another chip without the private key (expect INVALID) =="
"$bin" read --virtual "$work/dump" --mrz "$mrz1" "$mrz2" "${trust[@]}" | grep -E "VERDICT|active auth|passive auth" || true

echo; echo "== 7. no trust anchor for the issuing state (expect INCONCLUSIVE, never VALID) =="
"$bin" read --virtual --mrz "$mrz1" "$mrz2" | grep -E "VERDICT|ds_certificate" || true

echo; echo "== 8. a wrong MRZ: the chip refuses BAC =="
"$bin" read --virtual --document-number U12345678 --date-of-birth 850101 --date-of-expiry 351230 || echo "(exit $?: refused, as it should be)"
