#!/bin/sh
# fota status and status --json: per device the running and assigned
# versions, the progress, the last result and the last contact, as fotad
# records them; and status and the other commands while another process
# writes the store.
set -eu
. "$(dirname "$0")/tool_lib.sh"
. "$TESTS_DIR/admin_lib.sh"
need python3 sqlite3
admin_keys
"$FOTA" -d data init -k pub.pem --server 127.0.0.1:9995 >/dev/null
expect 0 "status, no devices" "$FOTA" -d data status
has "^no devices$" "no devices"
expect 0 "status --json, no devices" "$FOTA" -d data status --json
json 'd == []'

signed v1 1.0.0
signed v2 2.0.0 2 4000
"$FOTA" -d data image add v1.img v2.img >/dev/null
D1=$(digest_of v1.img)
D2=$(digest_of v2.img)
SIZE2=$(size v2.img)
for d in ok rev ref dl; do "$FOTA" -d data device add $d -g field >/dev/null; done
"$FOTA" -d data device add idle >/dev/null
"$FOTA" -d data assign --group field 2.0.0 >/dev/null

# Nothing reported yet.
expect 0 "status before any contact" "$FOTA" -d data status
has "^ID +GROUP +RUNNING +ASSIGNED +PROGRESS +LAST RESULT +LAST SEEN$" "header"
has "^dl +field +- +2.0.0 +0% +- +never$" "fresh device"
has "^idle +- +- +- +- +- +never$" "device with nothing assigned"

# What fotad records (HELLO, progress, REPORT), written as it writes it.
# 1700000000 is 2023-11-14T22:13:20Z.
sqlite3 data/fota.db "
UPDATE devices SET running_major = 1, running_minor = 0, running_patch = 0,
  running_build = 0, running_digest = x'$D1', last_seen = 1700000000, connections = 2;
UPDATE devices SET running_major = 2, running_digest = x'$D2',
  result_seq = 3, result_event = 3, result_reason = 0, result_error = 0,
  result_major = 2, result_minor = 0, result_patch = 0, result_build = 0,
  result_digest = x'$D2', result_time = 1700000100, last_seen = 1700000100
  WHERE id = 'ok';
UPDATE devices SET result_seq = 4, result_event = 4, result_reason = 2, result_error = 0,
  result_major = 2, result_minor = 0, result_patch = 0, result_build = 0,
  result_digest = x'$D2', result_time = 1700000200 WHERE id = 'rev';
UPDATE devices SET result_seq = 1, result_event = 5, result_reason = 0, result_error = -8,
  result_major = 2, result_minor = 0, result_patch = 0, result_build = 0,
  result_digest = x'$D2', result_time = 1700000300 WHERE id = 'ref';
UPDATE devices SET progress_digest = x'$D2', progress_offset = $((SIZE2 * 3 / 4 + 1)),
  progress_total = $SIZE2, progress_time = 1700000400 WHERE id = 'dl';
UPDATE devices SET running_major = NULL, running_digest = NULL, last_seen = 0,
  connections = 0 WHERE id = 'idle';
"
expect 0 "status" "$FOTA" -d data status
has "^ok +field +2.0.0 +2.0.0 +100% +confirmed 2.0.0 +2023-11-14T22:15:00Z$" "confirmed"
has "^rev +field +1.0.0 +2.0.0 +0% +reverted 2.0.0: not confirmed +2023-11-14T22:13:20Z$" "reverted"
has "^ref +field +1.0.0 +2.0.0 +0% +refused 2.0.0: bad signature +2023-11-14T22:13:20Z$" "refused"
has "^dl +field +1.0.0 +2.0.0 +75% +- +2023-11-14T22:13:20Z$" "downloading"
has "^idle +- +- +- +- +- +never$" "idle"

expect 0 "status --json" "$FOTA" -d data status --json
json 'len(d) == 5 and [x["id"] for x in d] == ["dl", "idle", "ok", "ref", "rev"]'
json 'all(set(["id", "group", "running", "assigned", "progress", "last_result", "last_seen"]) <= set(x) for x in d)'
json 'd[2] == dict(d[2], group="field", running="2.0.0", assigned="2.0.0", progress=100, last_result="confirmed 2.0.0", last_seen="2023-11-14T22:15:00Z", last_result_time="2023-11-14T22:15:00Z", assigned_by_group=True, connections=2)'
json 'd[4]["last_result"] == "reverted 2.0.0: not confirmed"'
json 'd[3]["last_result"] == "refused 2.0.0: bad signature"'
json 'd[0]["progress"] == 75 and d[0]["last_result"] is None'
json 'd[1] == dict(d[1], group=None, running=None, assigned=None, progress=None, last_result=None, last_seen=None, connections=0)'

# Names that need escaping in JSON.
"$FOTA" -d data device add 'q"uote' >/dev/null
expect 0 "status --json with quotes" "$FOTA" -d data status --json
json 'any(x["id"] == "q\"uote" for x in d)'
expect 0 "device list --json with quotes" "$FOTA" -d data device list --json
json 'any(x["id"] == "q\"uote" for x in d)'

# Another process holds the write lock for 2 s (as fotad does while it
# writes): status reads at once; a writer waits for it, then succeeds.
{ echo "BEGIN IMMEDIATE; UPDATE devices SET connections = connections + 1;"; sleep 2;
  echo "COMMIT;"; } | sqlite3 data/fota.db &
holder=$!
sleep 0.5
t0=$(date +%s)
expect 0 "status while locked" "$FOTA" -d data status
[ $(($(date +%s) - t0)) -le 1 ] || fail "status waited for the writer"
ok
expect 0 "device add while locked" "$FOTA" -d data device add waited
t1=$(date +%s)
[ $((t1 - t0)) -ge 1 ] || fail "device add did not wait for the lock"
ok
wait $holder
expect 0 "the waiting add is stored" "$FOTA" -d data device list
has "^waited " "waited listed"
# A lock held past the busy timeout (5 s): a clear failure, nothing half done.
{ echo "BEGIN IMMEDIATE;"; sleep 8; echo "COMMIT;"; } | sqlite3 data/fota.db &
holder=$!
sleep 0.5
expect 1 "device add, locked too long" "$FOTA" -d data device add late
has "locked by another process" "lock message"
wait $holder
expect 0 "device list after" "$FOTA" -d data device list
hasnt "^late " "nothing half added"
[ ! -e data/provision/late.conf ] || fail "provisioning file of a device not added"
ok
[ "$(sqlite3 data/fota.db 'PRAGMA integrity_check')" = ok ] || fail "integrity check"
ok

# Usage.
expect 2 "status with an argument" "$FOTA" -d data status now
expect 2 "status --frob" "$FOTA" -d data status --frob
done_checks
