#!/usr/bin/env bash
# A local PostgreSQL for trying the team setup (docs/team.md): the Pulumi state
# of every stack in one database, locked per stack, shared by working copies.
#
#   tools/team-db.sh start            start (creating on first use) the cluster; idempotent
#   tools/team-db.sh stop             stop it (data kept); idempotent
#   tools/team-db.sh status           running or not, where, and the backend URL
#   tools/team-db.sh url              print the backend URL (no secret in it)
#   tools/team-db.sh env              the exports for a shell: eval "$(tools/team-db.sh env)"
#   tools/team-db.sh locks [STACK]    the lock records held in the state database, one JSON line each
#   tools/team-db.sh migrate-to-pg    move the lab stacks' state from the file backend into it
#   tools/team-db.sh migrate-to-file  and back (both verify; see tools/team-migrate.ts)
#   tools/team-db.sh remove           stop it and delete its run directory (all state in it!)
#
# The cluster lives under ZFSFLEET_PG_RUN (default /var/tmp/zfs-fleet-pg), outside
# the repository, and listens on 127.0.0.1:ZFSFLEET_PG_PORT (default 54329) with TLS
# only, plus a unix socket in the run directory for its administration. It holds
# the database zfs_fleet_state (ZFSFLEET_PG_DB) and the login role zfs_fleet
# (ZFSFLEET_PG_ROLE) with no more rights than the backend needs: CONNECT, and
# SELECT/INSERT/UPDATE/DELETE on the one table pulumi_state, created here with the
# engine's own DDL (pkg/backend/diy/postgres/schema.sql).
#
# Run directory (the operator's files are the role's password and the CA, never
# committed, never in the URL):
#   data/               PGDATA, owned by the server's OS user (postgres when run as root)
#   socket/             the unix socket for administration (peer authentication)
#   log/postgresql.log  the server's log
#   client/             mode 0700: pgpass (0600), ca.crt, backend-url (0600)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
RUN=${ZFSFLEET_PG_RUN:-/var/tmp/zfs-fleet-pg}
PORT=${ZFSFLEET_PG_PORT:-54329}
DB=${ZFSFLEET_PG_DB:-zfs_fleet_state}
ROLE=${ZFSFLEET_PG_ROLE:-zfs_fleet}
DATA=$RUN/data
SOCK=$RUN/socket
LOG=$RUN/log/postgresql.log
CLIENT=$RUN/client

say() { printf '[team-db %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { printf 'team-db: %s\n' "$*" >&2; exit 1; }

[[ "$RUN" == /* ]] || die "ZFSFLEET_PG_RUN must be an absolute path (got '$RUN')"
[[ "$PORT" =~ ^[0-9]+$ ]] || die "ZFSFLEET_PG_PORT must be a port number (got '$PORT')"
[[ "$DB" =~ ^[a-z_][a-z0-9_]*$ && "$ROLE" =~ ^[a-z_][a-z0-9_]*$ ]] ||
  die "ZFSFLEET_PG_DB and ZFSFLEET_PG_ROLE must be plain lower-case SQL names"

# Once the cluster exists its port is the one it was made with (the URL must name the port it listens on).
if [[ -r "$DATA/postgresql.conf" ]]; then
  made_with=$(sed -n 's/^port = \([0-9]*\)$/\1/p' "$DATA/postgresql.conf" | tail -n 1)
  if [[ -n "$made_with" && "$made_with" != "$PORT" ]]; then
    [[ -n "${ZFSFLEET_PG_PORT:-}" ]] && say "the cluster in $RUN listens on port $made_with (ZFSFLEET_PG_PORT=$PORT ignored; 'remove' it to change)"
    PORT=$made_with
  fi
fi

# PostgreSQL refuses to run as root: as root the server runs as Debian's `postgres` user.
if [[ $(id -u) -eq 0 ]]; then SERVER_USER=postgres; else SERVER_USER=$(id -un); fi
as_server() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u "$SERVER_USER" -- "$@"; else "$@"; fi
}

pg_bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [[ -n "$d" && -x "$d/initdb" ]] && echo "$d"
}

# As lab/labctl does for qemu: Debian's packages, installed when missing (root only).
ensure_packages() {
  local missing=()
  [[ -n "$(pg_bindir)" ]] || missing+=(postgresql)
  command -v openssl >/dev/null || missing+=(openssl)
  [[ ${#missing[@]} -eq 0 ]] && return 0
  [[ $(id -u) -eq 0 ]] || die "missing Debian packages: ${missing[*]}; install them (apt-get install ${missing[*]}) or run as root"
  say "installing Debian packages: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  [[ -n "$(pg_bindir)" ]] || die "installed postgresql but found no /usr/lib/postgresql/*/bin/initdb"
  id "$SERVER_USER" >/dev/null 2>&1 || die "the package did not create the '$SERVER_USER' user"
}

pg() { local b; b=$(pg_bindir) || die "PostgreSQL is not installed (tools/team-db.sh start installs it)"; "$b/$1" "${@:2}"; }

running() { [[ -f "$DATA/PG_VERSION" ]] && as_server "$(pg_bindir)/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

# The administration path: the server's OS user over the unix socket (peer), never the network.
admin_sql() { # database, SQL on stdin (from /: the server user may not read the caller's directory)
  (cd / && PGOPTIONS="-c client_min_messages=warning" as_server "$(pg_bindir)/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCK" -p "$PORT" -U "$SERVER_USER" -d "$1")
}

backend_url() {
  # 127.0.0.1, not localhost: the certificate names both, and the server listens on IPv4 only.
  printf 'postgres://%s@127.0.0.1:%s/%s?sslmode=verify-full&sslrootcert=%s&passfile=%s\n' \
    "$ROLE" "$PORT" "$DB" "$CLIENT/ca.crt" "$CLIENT/pgpass"
}

port_taken() { ss -Hltn "sport = :$PORT" 2>/dev/null | grep -q .; }

# A CA and a server certificate for 127.0.0.1 and localhost: verify-full works here as in production.
make_tls() {
  local tmp
  tmp=$(mktemp -d)
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=zfs-fleet local state CA" \
    -keyout "$tmp/ca.key" -out "$tmp/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$tmp/server.key" -out "$tmp/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$tmp/ext"
  openssl x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.crt" -CAkey "$tmp/ca.key" -CAcreateserial \
    -days 3650 -extfile "$tmp/ext" -out "$tmp/server.crt" 2>/dev/null
  install -m 0644 "$tmp/ca.crt" "$CLIENT/ca.crt"
  install -m 0600 -o "$SERVER_USER" "$tmp/server.key" "$DATA/server.key"
  install -m 0644 -o "$SERVER_USER" "$tmp/server.crt" "$DATA/server.crt"
  rm -rf "$tmp"   # the CA key is not kept: this CA signs one certificate, once
}

init_cluster() {
  say "creating a PostgreSQL $(pg initdb --version | awk '{print $3}') cluster in $DATA"
  mkdir -p "$RUN"
  # The server's OS user must reach data/ and socket/ inside a run directory we own.
  chmod go+x "$RUN"
  as_server test -x "$RUN" ||
    die "the server's OS user ($SERVER_USER) cannot reach $RUN: a directory above it is closed to it (ls -ld each); pick a ZFSFLEET_PG_RUN under /var/tmp or /tmp"
  install -d -m 0700 "$CLIENT"
  install -d -m 0700 -o "$SERVER_USER" "$DATA"
  install -d -m 0755 -o "$SERVER_USER" "$SOCK" "$RUN/log"
  as_server "$(pg_bindir)/initdb" -D "$DATA" -U "$SERVER_USER" -A peer -E UTF8 --locale=C.UTF-8 >/dev/null
  make_tls
  cat >>"$DATA/postgresql.conf" <<EOF

# zfs-fleet (tools/team-db.sh): loopback and the run directory's socket only, TLS on the network.
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$SOCK'
unix_socket_permissions = 0700
ssl = on
ssl_cert_file = 'server.crt'
ssl_key_file = 'server.key'
ssl_min_protocol_version = 'TLSv1.2'
password_encryption = scram-sha-256
max_connections = 50
shared_buffers = 32MB
log_line_prefix = '%m [%p] %u@%d '
EOF
  cat >"$DATA/pg_hba.conf" <<EOF
# zfs-fleet (tools/team-db.sh): the administrator over the socket, the state role over TLS only.
local   all     $SERVER_USER                    peer
hostssl $DB     $ROLE           127.0.0.1/32    scram-sha-256
EOF
  # A password made here, kept only in the client's pgpass (the URL names the file, not the secret).
  (umask 077; printf '*:*:%s:%s:%s\n' "$DB" "$ROLE" "$(openssl rand -hex 24)" >"$CLIENT/pgpass")
}

# Idempotent: the role (password from pgpass), the database, the table and exactly the grants needed.
ensure_schema() {
  local password
  password=$(cut -d: -f5 "$CLIENT/pgpass")
  admin_sql postgres <<EOF
SELECT format('CREATE ROLE %I LOGIN', '$ROLE') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$ROLE') \gexec
ALTER ROLE $ROLE LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '$password';
SELECT format('CREATE DATABASE %I', '$DB') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$DB') \gexec
REVOKE ALL ON DATABASE $DB FROM PUBLIC;
GRANT CONNECT ON DATABASE $DB TO $ROLE;
EOF
  admin_sql "$DB" <<EOF
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO $ROLE;
CREATE TABLE IF NOT EXISTS pulumi_state (
    key TEXT PRIMARY KEY,
    data JSON NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now()
);
GRANT SELECT, INSERT, UPDATE, DELETE ON pulumi_state TO $ROLE;
EOF
  (umask 077; backend_url >"$CLIENT/backend-url")
}

with_lock() { # one start/stop/remove at a time (an operator and a test may both start it)
  mkdir -p "$(dirname "$RUN")"
  exec 9>"$RUN.lock"
  flock -w 120 9 || die "another team-db.sh holds $RUN.lock"
}

cmd_start() {
  ensure_packages
  with_lock
  [[ -f "$DATA/PG_VERSION" ]] || init_cluster
  if running; then
    say "running already ($DATA, port $PORT)"
  else
    port_taken && die "port $PORT on 127.0.0.1 is taken by another program; pick another with ZFSFLEET_PG_PORT"
    # 9>&-: the server must not inherit the lock on $RUN.lock (it would hold it for its lifetime).
    as_server "$(pg_bindir)/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 -s start 9>&- ||
      die "the server did not start; its log: $LOG
$(tail -n 5 "$LOG" 2>/dev/null)"
    say "started on 127.0.0.1:$PORT (log: $LOG)"
  fi
  ensure_schema
  say "to use it: eval \"\$(tools/team-db.sh env)\"   (PULUMI_BACKEND_URL from $CLIENT/backend-url, compressed checkpoints)"
}

cmd_stop() {
  with_lock
  if running; then
    as_server "$(pg_bindir)/pg_ctl" -D "$DATA" -w -t 60 -s -m fast stop
    say "stopped (data kept in $DATA; 'tools/team-db.sh remove' deletes it)"
  else
    say "not running"
  fi
}

cmd_remove() {
  [[ -e "$RUN" ]] || { say "nothing in $RUN"; return 0; }
  [[ -d "$RUN/data" || -d "$RUN/client" ]] || die "$RUN does not look like a run directory of this script (no data/ or client/); not deleting it"
  with_lock
  if running; then as_server "$(pg_bindir)/pg_ctl" -D "$DATA" -w -t 60 -s -m immediate stop; fi
  rm -rf "$RUN"
  rm -f "$RUN.lock"
  say "removed $RUN"
}

cmd_status() {
  if running; then
    echo "running: $DATA, 127.0.0.1:$PORT, log $LOG"
    echo "url: $(backend_url)"
  else
    if [[ -f "$DATA/PG_VERSION" ]]; then echo "stopped (data in $DATA)"; else echo "no cluster in $RUN"; fi
    return 3
  fi
}

# The DIY backend keeps one lock object per holder under .pulumi/locks/organization/<project>/<stack>/,
# its JSON base64-encoded in the row's data (pkg/backend/diy/lock.go, postgres/bucket.go).
cmd_locks() {
  local stack=${1:-}
  [[ "$stack" =~ ^[A-Za-z0-9._-]*$ ]] || die "not a stack name: '$stack'"
  running || die "not running (tools/team-db.sh start)"
  admin_sql "$DB" <<EOF
\pset tuples_only on
\pset format unaligned
SELECT json_build_object('key', key, 'since', updated_at,
                         'lock', convert_from(decode(data->>'data', 'base64'), 'UTF8')::json)
FROM pulumi_state
WHERE key LIKE '%.pulumi/locks/%' AND ('$stack' = '' OR key LIKE '%/' || '$stack' || '/%')
ORDER BY key;
EOF
}

cmd_migrate() { # to-pg | to-file
  [[ -f "$repo/.pulumi/bin-dir" ]] || die "no Pulumi CLI yet: run 'make toolchain' first"
  local pg_url file_url
  # Another PostgreSQL (the team's server) with ZFSFLEET_PG_URL; otherwise this local cluster.
  if [[ -z "${ZFSFLEET_PG_URL:-}" ]]; then
    running || die "the local PostgreSQL is not running: tools/team-db.sh start"
  fi
  pg_url=${ZFSFLEET_PG_URL:-$(backend_url)}
  file_url=${ZFSFLEET_FILE_URL:-file://$repo/.pulumi/state}
  # The project is this repository (ZFSFLEET_PROJECT_DIR: another one, for the engine test).
  local top=$repo  # env.sh unsets $repo
  (source "$top/tools/env.sh" && cd "${ZFSFLEET_PROJECT_DIR:-$top}" &&
    node "$top/tools/team-migrate.ts" "$1" --file "$file_url" --pg "$pg_url" \
      ${ZFSFLEET_TEAM_STACKS:+--stacks "$ZFSFLEET_TEAM_STACKS"})
}

# The DIY backend writes the whole checkpoint at every step, base64 in a JSON column here: compressed
# (zstd, which the CLI reads back either way), a 100-resource up took 7-10 s instead of 46-75 s.
cmd_env() {
  printf 'export PULUMI_BACKEND_URL=%q\n' "$(backend_url)"
  printf 'export PULUMI_DIY_BACKEND_ZSTD=true\n'
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  url) backend_url ;;
  env) cmd_env ;;
  locks) cmd_locks "${2:-}" ;;
  migrate-to-pg) cmd_migrate to-pg ;;
  migrate-to-file) cmd_migrate to-file ;;
  remove) cmd_remove ;;
  *) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
