# Sourced by scripts/test.sh: starts a private PostgreSQL cluster for the watchlist tests and
# exports INSPECTD_TEST_PG (its URL) and INSPECTD_REQUIRE_PG=1 (the tests then fail, not skip,
# when it is unreachable). Debian's postgresql package (scripts/deps.sh) provides the binaries.
# The cluster lives under target/pg (or a private /tmp directory when the postgres user cannot
# reach target/), listens on 127.0.0.1:${INSPECTD_PG_PORT:-55432} and its own socket directory,
# and trusts local connections (test data only). The server refuses to run as root, so as root
# it runs as the postgres user. Idempotent: a cluster already running there is reused; one
# started here is stopped when the calling script exits.
PG_PORT="${INSPECTD_PG_PORT:-55432}"
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/pg_ctl" ]; then
  echo "pg.sh: no PostgreSQL binaries under /usr/lib/postgresql (run scripts/deps.sh)" >&2
  return 1 2>/dev/null || exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
  pg_as() { runuser -u postgres -- "$@"; }
  PG_OWNER=postgres
else
  pg_as() { "$@"; }
  PG_OWNER="$(id -un)"
fi
mkdir -p target
PG_ROOT="$(cd target && pwd)/pg"
mkdir -p "$PG_ROOT"
if [ "$PG_OWNER" != "$(id -un)" ]; then
  chown "$PG_OWNER" "$PG_ROOT"
  if ! pg_as test -w "$PG_ROOT"; then
    # A parent directory is closed to the postgres user: use a private directory it owns.
    PG_ROOT="/tmp/inspectd-pg-$PG_PORT"
    mkdir -p "$PG_ROOT"
    chown "$PG_OWNER" "$PG_ROOT"
    chmod 700 "$PG_ROOT"
  fi
fi
PG_DATA="$PG_ROOT/data"
PG_SOCK="$PG_ROOT/sock"
PG_STARTED=""
pg_as mkdir -p "$PG_SOCK"
if [ ! -s "$PG_DATA/PG_VERSION" ]; then
  pg_as "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust --encoding=UTF8 --no-locale \
    >"$PG_ROOT/initdb.log" 2>&1 || { cat "$PG_ROOT/initdb.log" >&2; return 1 2>/dev/null || exit 1; }
fi
if ! pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then
  pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_ROOT/server.log" -w -t 60 \
    -o "-p $PG_PORT -k $PG_SOCK -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null \
    || { tail -n 20 "$PG_ROOT/server.log" >&2; return 1 2>/dev/null || exit 1; }
  PG_STARTED=1
fi
pg_as "$PG_BIN/psql" -h "$PG_SOCK" -p "$PG_PORT" -U postgres -d postgres -tAc \
  "SELECT 1 FROM pg_database WHERE datname = 'inspectd_test'" | grep -q 1 \
  || pg_as "$PG_BIN/createdb" -h "$PG_SOCK" -p "$PG_PORT" -U postgres inspectd_test
export INSPECTD_TEST_PG="postgres://postgres@127.0.0.1:$PG_PORT/inspectd_test"
export INSPECTD_REQUIRE_PG=1
pg_stop() {
  [ -n "$PG_STARTED" ] && pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast stop >/dev/null 2>&1
  PG_STARTED=""
  return 0
}
# Chain with an EXIT trap set before (scripts/pcscd.sh sets one).
eval "PG_PREV_TRAP=$(trap -p EXIT | sed -e 's/^trap -- //' -e 's/ EXIT$//')"
trap "pg_stop; ${PG_PREV_TRAP:-}" EXIT
