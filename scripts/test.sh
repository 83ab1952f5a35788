#!/usr/bin/env bash
# The full test suite (README command 2). Installs what the tests need, then runs every test.
# Idempotent; safe to run repeatedly on a fresh Debian machine with only the Rust toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
for p in pkg-config libpcsclite-dev pcscd vsmartcard-vpcd; do
  dpkg -s "$p" >/dev/null 2>&1 || need_pkgs+=("$p")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_pkgs[@]}"
fi

cargo test --all-targets --features testkit "$@"
cargo test --doc --features testkit
