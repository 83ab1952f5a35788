#!/usr/bin/env bash
# Installs the Debian packages inspectd builds and tests with (idempotent):
# pkg-config + libpcsclite-dev (the pcsc crate links pcsc-lite), pcscd and vsmartcard-vpcd
# (the virtual reader the PC/SC end-to-end tests and `inspectd sim` use), postgresql (the
# watchlist PostgreSQL backend's tests; scripts/pg.sh starts a private cluster).
set -euo pipefail
need=()
for p in pkg-config libpcsclite-dev pcscd vsmartcard-vpcd postgresql openssl; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
