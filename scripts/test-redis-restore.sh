#!/usr/bin/env bash
# Backup and restore, for real (issue 13): a local redis-server run the way the rendered
# StatefulSet runs it (password in a config file, --appendonly yes, --dir), the backup taken
# exactly as the CronJob redis-backup takes it (templates/scripts/redis-backup.sh, same env), the
# restore done exactly as `agentctl restore-help` tells you to (templates/scripts/redis-restore.sh).
#
#   scripts/test-redis-restore.sh [--keep]     # --keep: leave the temp dir for a look
#   scripts/test-redis-restore.sh --install-only   # install redis-server/redis-tools and stop
#
# Checks: keys written before the backup come back after a wipe, keys written after it do not
# (a point-in-time snapshot), they survive a restart (the append-only file was rewritten), the
# CronJob keeps BACKUP_KEEP snapshots, a corrupt snapshot is refused. Negative control: the
# guide's restore ("copy dump.rdb and SHUTDOWN SAVE") and its NOSAVE variant lose the data when
# AOF is on. Everything runs on 127.0.0.1 on free ports in a temp dir; every server is stopped by
# its PID. Installs Debian's redis-server/redis-tools when missing and running as root (CI).
# Exit 0 when every check passes, 1 when one fails, 2 when it cannot run.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
backup_script="$repo/templates/scripts/redis-backup.sh"
restore_script="$repo/templates/scripts/redis-restore.sh"
keep=0
[ "${1:-}" = --keep ] && keep=1

need() { command -v redis-server >/dev/null && command -v redis-cli >/dev/null && command -v redis-check-rdb >/dev/null; }
if ! need; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    echo "== installing redis-server redis-tools (apt-get)"
    { apt-get install -y -q redis-server redis-tools || { apt-get update -q && apt-get install -y -q redis-server redis-tools; }; } >/dev/null 2>&1
  fi
  need || { echo "test-redis-restore: redis-server, redis-cli and redis-check-rdb are needed (apt-get install redis-server redis-tools)" >&2; exit 2; }
fi
[ "${1:-}" = --install-only ] && exit 0
command -v python3 >/dev/null || { echo "test-redis-restore: python3 is needed to find free ports" >&2; exit 2; }

tmp="$(mktemp -d "${TMPDIR:-/tmp}/agentctl-redis-restore.XXXXXX")"
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do
    if kill -0 "$p" 2>/dev/null; then kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; fi
  done
  if [ "$keep" = 1 ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
password="pw-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
port="$(free_port)"
restore_port="$(free_port)"
while [ "$restore_port" = "$port" ]; do restore_port="$(free_port)"; done

passed=0
failed=0
ok() { echo "PASS $*"; passed=$((passed + 1)); }
bad() { echo "FAIL $*"; failed=$((failed + 1)); }
check() { local what="$1"; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

cli() { REDISCLI_AUTH="$password" redis-cli -h 127.0.0.1 -p "$port" "$@" | tr -d '\r'; }

# The Redis of the StatefulSet: the same config file, written the same way, and the same options
# (templates/redis-statefulset.yaml, src render: redis_script); only --bind and --logfile added.
main_pid=""
starts=0
log=""
start_redis() { # DATA_DIR
  local data="$1" n=0
  starts=$((starts + 1))
  log="$tmp/redis-$starts.log"
  mkdir -p "$data" "$tmp/conf"
  (umask 077; printf 'requirepass %s\n' "$password" >"$tmp/conf/redis.conf")
  redis-server "$tmp/conf/redis.conf" --port "$port" --dir "$data" --appendonly yes \
    --bind 127.0.0.1 --logfile "$log" &
  main_pid=$!
  pids+=("$main_pid")
  until [ "$(cli ping 2>/dev/null)" = PONG ]; do
    n=$((n + 1))
    if [ "$n" -gt 100 ] || ! kill -0 "$main_pid" 2>/dev/null; then
      echo "test-redis-restore: redis-server did not start:" >&2
      cat "$log" >&2
      exit 2
    fi
    sleep 0.1
  done
}
# A pod restart: SIGTERM (Redis saves and exits), then wait for the PID.
stop_redis() { kill -TERM "$main_pid"; wait "$main_pid" 2>/dev/null; main_pid=""; }

write_keys() { # PREFIX COUNT
  local i
  for i in $(seq 1 "$2"); do printf 'SET %s:%d value-%d\n' "$1" "$i" "$i"; done | cli >/dev/null
  cli hset "$1:hash" field1 one field2 two >/dev/null
  cli rpush "$1:queue" job1 job2 job3 >/dev/null
  cli set "$1:expiring" soon ex 86400 >/dev/null
}
keys_intact() { # PREFIX COUNT [OTHER_KEYS]
  [ "$(cli get "$1:1")" = value-1 ] && [ "$(cli get "$1:$2")" = "value-$2" ] &&
    [ "$(cli hget "$1:hash" field2)" = two ] && [ "$(cli lrange "$1:queue" 0 -1 | tr '\n' ,)" = job1,job2,job3, ] &&
    [ "$(cli ttl "$1:expiring")" -gt 0 ] && [ "$(cli dbsize)" = "$(($2 + 3 + ${3:-0}))" ]
}

# The CronJob's command: `sh -c SCRIPT` with its env (REDISCLI_AUTH comes from the Secret).
backup() { # BACKUP_DIR KEEP
  mkdir -p "$1"
  env REDIS_HOST=127.0.0.1 REDIS_PORT="$port" BACKUP_DIR="$1" BACKUP_KEEP="$2" \
    REDISCLI_AUTH="$password" sh -c "$(cat "$backup_script")"
}
# The restore as documented: the snapshot streamed onto the data volume as restore.rdb, then
# the restore script run in the Redis pod (which has REDISCLI_AUTH in its env).
restore() { # SNAPSHOT DATA_DIR
  cat "$1" >"$2/restore.rdb"
  env REDIS_PORT="$port" RESTORE_PORT="$restore_port" RESTORE_FILE="$2/restore.rdb" DATA_DIR="$2" \
    REDISCLI_AUTH="$password" sh -s <"$restore_script"
}
newest() { find "$1" -name 'redis-*.rdb' | sort | tail -n 1; }

echo "== redis $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/'), ports $port/$restore_port, in $tmp"

# ---------------------------------------------------------------- the documented procedure
data="$tmp/data"
start_redis "$data"
write_keys k 500
check "the server runs with appendonly on, as the StatefulSet does" \
  test "$(cli config get appendonly | sed -n 2p)" = yes

backups="$tmp/backup"
out="$(backup "$backups" 2)"; echo "$out"
check "backup: the CronJob command writes a snapshot" test -n "$(newest "$backups")"
check "backup: the snapshot passes redis-check-rdb" bash -c "redis-check-rdb '$(newest "$backups")' >/dev/null"
check "backup: no partial file left behind" test -z "$(find "$backups" -name '.*partial')"
sleep 1.1; backup "$backups" 2 >/dev/null
sleep 1.1; backup "$backups" 2 >/dev/null
check "backup: retention keeps BACKUP_KEEP=2 snapshots after 3 runs" test "$(find "$backups" -name 'redis-*.rdb' | wc -l)" = 2
snapshot="$(newest "$backups")"

cli set written-after-the-backup 1 >/dev/null
cli flushall >/dev/null # the incident
check "wipe: the data is gone" test "$(cli dbsize)" = 0

restore "$snapshot" "$data"
rc=$?
check "restore: the documented procedure exits 0" test "$rc" = 0
check "restore: every key of the snapshot is back (strings, hash, list, TTL)" keys_intact k 500
check "restore: a key written after the snapshot is not (point in time)" test "$(cli exists written-after-the-backup)" = 0
check "restore: the server is a primary again, not a replica" test "$(cli info replication | grep '^role:')" = role:master
check "restore: the temporary server is gone" test "$(redis-cli -h 127.0.0.1 -p "$restore_port" ping 2>/dev/null)" != PONG
check "restore: its work dir is removed" test ! -e "$data/restore-tmp"
cli set written-after-the-restore yes >/dev/null
stop_redis
start_redis "$data"
check "restart: the restored keys survive a pod restart (loaded from the rewritten AOF)" keys_intact k 500 1
check "restart: writes after the restore survive too" test "$(cli get written-after-the-restore)" = yes
check "restart: the data came from the append-only file" grep -q "DB loaded from append only file" "$log"

printf 'this is not an RDB file\n' >"$tmp/corrupt.rdb"
restore "$tmp/corrupt.rdb" "$data" >/dev/null 2>&1
rc=$?
check "restore: a corrupt snapshot is refused (exit $rc) and the data is untouched" \
  bash -c "[ $rc != 0 ] && [ \"\$(REDISCLI_AUTH='$password' redis-cli -h 127.0.0.1 -p $port get k:500)\" = value-500 ]"
stop_redis

# ---------------------------------------------------------------- negative control: the guide
# "kubectl cp ./backup/redis-dump.rdb redis-0:/tmp/dump.rdb;
#  kubectl exec redis-0 -- sh -c 'cp /tmp/dump.rdb /data/dump.rdb && redis-cli SHUTDOWN SAVE'"
for mode in SAVE NOSAVE; do
  data="$tmp/guide-$mode"
  start_redis "$data"
  write_keys g 200
  backup "$tmp/guide-backup-$mode" 3 >/dev/null
  cli flushall >/dev/null
  cp "$(newest "$tmp/guide-backup-$mode")" "$data/dump.rdb"
  cli shutdown "$mode" >/dev/null 2>&1
  wait "$main_pid" 2>/dev/null
  start_redis "$data" # "Redis will restart automatically and load the data"
  n="$(cli dbsize)"
  check "negative control: the guide's restore (cp dump.rdb; SHUTDOWN $mode) with AOF on loses the data ($n of 203 keys)" \
    test "$n" = 0
  stop_redis
done

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
