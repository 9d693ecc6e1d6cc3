#!/usr/bin/env bash
# A PostgreSQL server in one folder, to try kapbook's shared database on one
# machine without a database server to set up (needs Debian's postgresql
# package: scripts/deps.sh test, or apt-get install postgresql).
#
#   scripts/pg-local.sh start DIR [PORT]   make the server in DIR on first use (PORT, default 5432), start it, print its URL
#   scripts/pg-local.sh stop DIR           stop it; DIR keeps the data for the next start
#
# The server listens on 127.0.0.1 only. It has a role kapbook, with a random
# password that the URL carries (kept in DIR/url, readable by its owner only),
# owning a database kapbook. Its superuser, postgres, logs in only through
# the socket in DIR, which only the folder's owner can reach. Run as root, the
# server runs as the postgres user, which initdb requires.
set -euo pipefail

usage() { echo "usage: scripts/pg-local.sh start DIR [PORT] | stop DIR" >&2; exit 2; }
die() { echo "pg-local: $*" >&2; exit 1; }

[ $# -ge 2 ] || usage
cmd=$1 dir=$2 port=${3:-5432}
case $port in *[!0-9]* | '') die "PORT must be a number, not $port" ;; esac

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bin" ]; then
  pg_ctl=$(command -v pg_ctl) || die "PostgreSQL is not installed; install it with: apt-get install postgresql"
  bin=$(dirname "$(readlink -f "$pg_ctl")")
fi

# as runs a command as the owner of the cluster: postgres when we are root.
as=()
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || die "there is no postgres user to run the server as; install it with: apt-get install postgresql"
  as=(runuser -u postgres --)
fi
as() { (cd "$dir" && LC_ALL=C.UTF-8 "${as[@]}" "$@"); }
pg_start() { as "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w start >/dev/null || { tail -n 5 "$dir/log" >&2; die "the server did not start"; }; }

case $cmd in
  start)
    mkdir -p -m 700 "$dir"
    dir=$(cd "$dir" && pwd)
    [ ${#dir} -le 90 ] || die "$dir is too long a path for the server's socket; choose a shorter one"
    if [ ! -d "$dir/data" ]; then
      [ -z "$(ls -A "$dir")" ] || die "$dir is not empty and holds no server; choose an empty or new folder"
      # A first start that fails half-way leaves the folder empty again.
      trap 'as "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "${dir:?}"/* "$dir"/.s.PGSQL.*' EXIT
      [ ${#as[@]} -eq 0 ] || chown postgres: "$dir"
      as test -x "$dir" || die "the postgres user cannot reach $dir; choose a folder it can, such as one under /srv"
      as "$bin/initdb" -D "$dir/data" -U postgres -E UTF8 --locale=C.UTF-8 \
        --auth-local=trust --auth-host=scram-sha-256 >/dev/null
      cat >>"$dir/data/postgresql.conf" <<EOF
# pg-local.sh
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
EOF
      pg_start
      password=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
      as "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres -d postgres <<EOF
CREATE ROLE kapbook LOGIN PASSWORD '$password';
CREATE DATABASE kapbook OWNER kapbook;
EOF
      (umask 077 && echo "postgres://kapbook:$password@127.0.0.1:$port/kapbook?sslmode=disable" >"$dir/url")
      trap - EXIT
    else
      was=$(sed -n 's/^port = //p' "$dir/data/postgresql.conf" | tail -n 1)
      [ $# -lt 3 ] || [ "$port" = "$was" ] || die "the server in $dir listens on port $was, not $port"
      as "$bin/pg_ctl" -D "$dir/data" status >/dev/null || pg_start
    fi
    cat "$dir/url"
    ;;
  stop)
    [ -d "$dir/data" ] || die "$dir holds no server"
    dir=$(cd "$dir" && pwd)
    if as "$bin/pg_ctl" -D "$dir/data" status >/dev/null; then
      as "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    else
      echo "pg-local: the server in $dir is not running"
    fi
    ;;
  *) usage ;;
esac
