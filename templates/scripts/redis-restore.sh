# Redis restore, run inside the Redis pod (`kubectl exec -i redis-0 -- env ... sh -s < this`), and
# by scripts/test-redis-restore.sh, verbatim, against a local redis-server.
# Env: REDIS_PORT (the running Redis), RESTORE_PORT (a free local port), RESTORE_FILE (the .rdb
# to load, on the data volume), DATA_DIR (the data volume); REDISCLI_AUTH (the pod's own env).
#
# Why not "copy dump.rdb and restart": with appendonly on, Redis loads the append-only file at
# start and ignores dump.rdb. Instead, a temporary Redis on 127.0.0.1 loads the snapshot with AOF
# off and the running Redis replicates from it: a full sync replaces its whole dataset and, with
# AOF on, rewrites the append-only file from it. Then it is detached again. Needs memory for about
# twice the dataset while it runs.
set -eu
work="$DATA_DIR/restore-tmp"
rm -rf "$work"
mkdir -p "$work"
mv "$RESTORE_FILE" "$work/dump.rdb"
redis-check-rdb "$work/dump.rdb" >/dev/null || { echo "restore: $RESTORE_FILE is not a valid RDB file" >&2; exit 1; }
main() { redis-cli -p "$REDIS_PORT" "$@" | tr -d '\r'; }
temp() { (unset REDISCLI_AUTH; redis-cli -h 127.0.0.1 -p "$RESTORE_PORT" "$@" | tr -d '\r'); }
info() { main info "$1" | grep "^$2:" | cut -d: -f2; }
redis-server --bind 127.0.0.1 --port "$RESTORE_PORT" --dir "$work" --dbfilename dump.rdb \
  --appendonly no --save "" --logfile "$work/restore.log" &
temp_pid=$!
cleanup() {
  main replicaof no one >/dev/null 2>&1 || true
  kill "$temp_pid" 2>/dev/null || true
  wait "$temp_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
n=0
until [ "$(temp ping 2>/dev/null)" = PONG ]; do
  n=$((n + 1)); [ "$n" -le 600 ] || { echo "restore: the temporary Redis did not start" >&2; cat "$work/restore.log" >&2; exit 1; }
  sleep 1
done
want="$(temp dbsize)"
echo "restore: snapshot holds $want keys; replicating it into the running Redis"
[ "$(main replicaof 127.0.0.1 "$RESTORE_PORT")" = OK ]
n=0
until [ "$(info replication master_link_status)" = up ]; do
  n=$((n + 1)); [ "$n" -le 3600 ] || { echo "restore: the sync did not finish in an hour" >&2; exit 1; }
  sleep 1
done
[ "$(main replicaof no one)" = OK ]
# The sync restarted AOF: wait until the rewrite from the restored data is on disk.
n=0
until [ "$(info persistence aof_rewrite_in_progress)" = 0 ] && [ "$(info persistence aof_rewrite_scheduled)" = 0 ]; do
  n=$((n + 1)); [ "$n" -le 3600 ] || { echo "restore: the AOF rewrite did not finish in an hour" >&2; exit 1; }
  sleep 1
done
[ "$(info persistence aof_last_bgrewrite_status)" = ok ] || { echo "restore: the AOF rewrite failed; see the Redis log" >&2; exit 1; }
if [ "$(info persistence aof_enabled)" = 0 ]; then
  # Without AOF, the restored data reaches the disk as a new dump.rdb.
  [ "$(main bgsave)" = "Background saving started" ]
  until [ "$(info persistence rdb_bgsave_in_progress)" = 0 ]; do sleep 1; done
  [ "$(info persistence rdb_last_bgsave_status)" = ok ] || { echo "restore: saving the RDB failed; see the Redis log" >&2; exit 1; }
fi
got="$(main dbsize)"
[ "$got" = "$want" ] || { echo "restore: Redis holds $got keys, the snapshot $want" >&2; exit 1; }
echo "restore: done, $got keys restored and saved"
