#!/usr/bin/env bash
# Run a command with a throw-away local PostgreSQL server (127.0.0.1 only) and
# TREMPLIN_TEST_POSTGRES_URL pointing at it; the server is stopped and removed at exit.
set -euo pipefail
PG_BIN=${PG_BIN:-$(dirname "$(command -v initdb || ls /usr/lib/postgresql/*/bin/initdb | tail -1)")}
DATA=$(mktemp -d /tmp/tremplin-pg.XXXXXX)
PORT=${PG_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
RUN_AS=()
if [ "$(id -u)" = 0 ]; then  # PostgreSQL refuses to run as root: use an unprivileged account
    id tremplinpg >/dev/null 2>&1 || useradd --system --no-create-home tremplinpg
    chown tremplinpg "$DATA"
    RUN_AS=(runuser -u tremplinpg --)
fi
cleanup() { "${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$DATA/db" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$DATA"; }
trap cleanup EXIT
"${RUN_AS[@]}" "$PG_BIN/initdb" -D "$DATA/db" -U tremplin --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$DATA/db" -l "$DATA/server.log" -w \
    -o "-h 127.0.0.1 -p $PORT -k $DATA -c fsync=off -c full_page_writes=off" start >/dev/null
export TREMPLIN_TEST_POSTGRES_URL="postgresql+psycopg://tremplin@127.0.0.1:$PORT/postgres"
echo "PostgreSQL ready on 127.0.0.1:$PORT"
"$@"
