#!/usr/bin/env bash
# The full test suite (README command 2). Installs what the tests need, starts pcscd with the
# vsmartcard virtual reader, then runs every test. Idempotent; runs on a fresh Debian machine
# with only the Rust toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
. scripts/pcscd.sh
. scripts/pg.sh
# The PC/SC end-to-end tests must run here, not skip.
export INSPECTD_REQUIRE_PCSC=1
cargo test --all-targets "$@"
cargo test --doc
# An independent client: Python stubs from proto/ (grpcio-tools from PyPI) against `inspectd serve`.
./scripts/python-client-test.sh
