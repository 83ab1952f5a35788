# Sourced by scripts/test.sh and scripts/demo.sh: starts pcscd in the foreground, in the
# background, unless one is running; stops it (by pid) when the calling script exits. pcscd
# reads the vpcd configuration only at start. Readiness is the pcscd socket, never a connection
# to the vpcd ports (that would count as a card insertion).
PCSCD_PID=""
# A live pcscd (a zombie left by a killed one does not count).
if ! ps -eo stat=,comm= | awk '$2 == "pcscd" && $1 !~ /^Z/ { found = 1 } END { exit !found }'; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO mkdir -p /run/pcscd
  mkdir -p target
  $SUDO pcscd --foreground >target/pcscd.log 2>&1 &
  PCSCD_PID=$!
  # A test restarts pcscd (tests/pcsc_e2e.rs), so stop every pcscd at the end, not only ours.
  trap '[ -n "$PCSCD_PID" ] && { pkill -x pcscd 2>/dev/null || sudo pkill -x pcscd 2>/dev/null || true; }' EXIT
  for _ in $(seq 100); do [ -S /run/pcscd/pcscd.comm ] && break; sleep 0.1; done
fi
# Only a pcscd this script started may be restarted by the tests.
if [ -n "$PCSCD_PID" ]; then export INSPECTD_PCSCD_RESTARTABLE=1; fi
