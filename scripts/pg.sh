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
# TLS for the watchlist TLS tests: a private test CA and a server certificate for 127.0.0.1
# and localhost (test material only, made here, never in git).
PG_TLS="$PG_ROOT/tls"
PG_SSL_OPTS=""
if command -v openssl >/dev/null 2>&1; then
  if [ ! -s "$PG_TLS/server.key" ]; then
    mkdir -p "$PG_TLS"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=inspectd test PostgreSQL CA" \
      -keyout "$PG_TLS/ca.key" -out "$PG_TLS/ca.pem" >/dev/null 2>&1
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
      -keyout "$PG_TLS/server.key" -out "$PG_TLS/server.csr" >/dev/null 2>&1
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$PG_TLS/ext.cnf"
    openssl x509 -req -in "$PG_TLS/server.csr" -CA "$PG_TLS/ca.pem" -CAkey "$PG_TLS/ca.key" \
      -CAcreateserial -days 3650 -extfile "$PG_TLS/ext.cnf" -out "$PG_TLS/server.pem" >/dev/null 2>&1
    chmod 600 "$PG_TLS/server.key"
    [ "$PG_OWNER" != "$(id -un)" ] && chown -R "$PG_OWNER" "$PG_TLS"
  fi
  if [ -s "$PG_TLS/server.pem" ]; then
    PG_SSL_OPTS="-c ssl=on -c ssl_cert_file=$PG_TLS/server.pem -c ssl_key_file=$PG_TLS/server.key"
  fi
fi
if ! pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then
  pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_ROOT/server.log" -w -t 60 \
    -o "-p $PG_PORT -k $PG_SOCK -c listen_addresses=127.0.0.1 -c fsync=off $PG_SSL_OPTS" start >/dev/null \
    || { tail -n 20 "$PG_ROOT/server.log" >&2; return 1 2>/dev/null || exit 1; }
  PG_STARTED=1
fi
pg_as "$PG_BIN/psql" -h "$PG_SOCK" -p "$PG_PORT" -U postgres -d postgres -tAc \
  "SELECT 1 FROM pg_database WHERE datname = 'inspectd_test'" | grep -q 1 \
  || pg_as "$PG_BIN/createdb" -h "$PG_SOCK" -p "$PG_PORT" -U postgres inspectd_test
export INSPECTD_TEST_PG="postgres://postgres@127.0.0.1:$PG_PORT/inspectd_test"
export INSPECTD_REQUIRE_PG=1
# The TLS tests run when the server has TLS on (a cluster reused from before may not).
if [ "$(pg_as "$PG_BIN/psql" -h "$PG_SOCK" -p "$PG_PORT" -U postgres -d postgres -tAc 'SHOW ssl' 2>/dev/null)" = "on" ]; then
  export INSPECTD_TEST_PG_CA="$PG_TLS/ca.pem"
fi
pg_stop() {
  [ -n "$PG_STARTED" ] && pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast stop >/dev/null 2>&1
  PG_STARTED=""
  return 0
}
# Chain with an EXIT trap set before (scripts/pcscd.sh sets one).
eval "PG_PREV_TRAP=$(trap -p EXIT | sed -e 's/^trap -- //' -e 's/ EXIT$//')"
trap "pg_stop; ${PG_PREV_TRAP:-}" EXIT
