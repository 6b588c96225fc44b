# Redis backup, run by the CronJob redis-backup (and by scripts/test-redis-restore.sh, verbatim).
# Env: REDIS_HOST, REDIS_PORT, BACKUP_DIR, BACKUP_KEEP; REDISCLI_AUTH (from the Secret, read by
# redis-cli: the password never appears on a command line).
set -eu
umask 077
name="redis-$(date -u +%Y%m%dT%H%M%SZ).rdb"
part="$BACKUP_DIR/.$name.partial"
trap 'rm -f "$part"' EXIT
# --rdb asks the server for the RDB a new replica would get: a point-in-time snapshot taken by a
# fork, consistent whatever is written meanwhile.
redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" --rdb "$part"
# A truncated or corrupt transfer fails here and is never kept.
redis-check-rdb "$part" >/dev/null
mv "$part" "$BACKUP_DIR/$name"
trap - EXIT
sync
# Keep the newest BACKUP_KEEP snapshots (the names sort by time).
ls -1 "$BACKUP_DIR" | grep -E '^redis-[0-9]{8}T[0-9]{6}Z\.rdb$' | sort -r |
  tail -n "+$((BACKUP_KEEP + 1))" | while read -r old; do rm -f "$BACKUP_DIR/$old"; done
echo "backup $name: $(wc -c <"$BACKUP_DIR/$name") bytes; $(ls -1 "$BACKUP_DIR" | grep -cE '^redis-.*\.rdb$') kept in $BACKUP_DIR"
