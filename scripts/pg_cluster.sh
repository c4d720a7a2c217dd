#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for sqler's tests: trust auth, C locale, unix socket only.
#
#   eval "$(scripts/pg_cluster.sh start)"   # exports SQLER_PG (a conninfo) and SQLER_PG_DIR
#   scripts/pg_cluster.sh env [dir]         # prints those exports again
#   scripts/pg_cluster.sh restart [dir]     # stop + start, same socket (tests use it)
#   scripts/pg_cluster.sh stop [dir]        # stops it and removes the dir; safe to repeat
#
# [dir] defaults to $SQLER_PG_DIR. As root the server runs as user postgres (initdb refuses
# root); otherwise as the current user. SQLER_PG_BINDIR and SQLER_PG_PORT override the defaults.
set -euo pipefail

bindir="${SQLER_PG_BINDIR:-/usr/lib/postgresql/15/bin}"
port="${SQLER_PG_PORT:-5432}"  # only names the socket file inside $dir: no TCP, no clashes

die() { echo "pg_cluster: $*" >&2; exit 1; }

as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cluster_dir() {
  local dir="${1:-${SQLER_PG_DIR:-}}"
  [[ -n "$dir" ]] || die "no cluster dir (pass it or set SQLER_PG_DIR)"
  echo "$dir"
}

pg_ctl_start() {  # $1 dir
  as_owner "$bindir/pg_ctl" -D "$1/data" -l "$1/log" -w -t 30 \
    -o "-k $1 -c listen_addresses='' -p $(cat "$1/port")" start >/dev/null
}

pg_ctl_stop() {  # $1 dir; quiet when nothing runs
  if [[ -f "$1/data/postmaster.pid" ]]; then
    as_owner "$bindir/pg_ctl" -D "$1/data" -m fast -w -t 30 stop >/dev/null || true
  fi
}

failed_start() {  # $1 exit status; the EXIT trap of start()
  [[ $1 -eq 0 ]] && return 0
  [[ -f "$new_dir/log" ]] && tail -n 20 "$new_dir/log" >&2
  stop "$new_dir"
}

start() {
  [[ -x "$bindir/initdb" ]] || die "no $bindir/initdb (apt-get install postgresql-15)"
  new_dir="$(mktemp -d "${TMPDIR:-/tmp}/sqler-pg.XXXXXX")"  # global: the trap reads it
  local dir="$new_dir"
  # Whatever fails from here on (set -e exits from inside functions too, where an ERR trap
  # would not fire), leave nothing behind and show why.
  trap 'failed_start $?' EXIT
  touch "$dir/.sqler-pg-cluster"  # stop removes only dirs carrying this mark
  echo "$port" >"$dir/port"
  [[ $(id -u) -eq 0 ]] && chown -R postgres: "$dir"
  as_owner "$bindir/initdb" -D "$dir/data" -A trust -U sqler -E UTF8 --locale=C --no-sync \
    >/dev/null
  # Throwaway data: durability only costs test time.
  printf '%s\n' "fsync = off" "synchronous_commit = off" "full_page_writes = off" \
    | as_owner tee -a "$dir/data/postgresql.conf" >/dev/null
  pg_ctl_start "$dir"
  trap - EXIT
  {
    echo "export SQLER_PG='host=$dir port=$port user=sqler dbname=postgres'"
    echo "export SQLER_PG_DIR='$dir'"
  } >"$dir/env"
  cat "$dir/env"
  echo "# written to $dir/env"
}

stop() {
  local dir
  dir="$(cluster_dir "${1:-}")"
  [[ -d "$dir" ]] || return 0
  [[ -f "$dir/.sqler-pg-cluster" ]] || die "$dir is not a cluster this script made"
  pg_ctl_stop "$dir"
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  restart) dir="$(cluster_dir "${2:-}")"; pg_ctl_stop "$dir"; pg_ctl_start "$dir" ;;
  env) cat "$(cluster_dir "${2:-}")/env" ;;
  *) echo "usage: $0 start|stop|restart|env [dir]" >&2; exit 2 ;;
esac
