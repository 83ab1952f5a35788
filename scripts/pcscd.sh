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
  trap '[ -n "$PCSCD_PID" ] && { kill "$PCSCD_PID" 2>/dev/null || sudo kill "$PCSCD_PID" 2>/dev/null || true; }' EXIT
  for _ in $(seq 100); do [ -S /run/pcscd/pcscd.comm ] && break; sleep 0.1; done
fi
