#!/bin/sh
# fotad killed with SIGKILL in the middle of an update and started again on
# the same port: the devices come back, resume and finish; the store is
# intact.
set -eu
. "$(dirname "$0")/e2e_lib.sh"
DEVICES=20

setup $DEVICES
"$FOTA" -d data assign --group fleet 2.0.0 >/dev/null
# 10 kB/s per device: a download takes about 3 s, long enough to kill in.
t0=$(now)
"$SIM" run --simdir sim --rate 10000 --seed 13 --timeout 150 >sim.out 2>&1 &
SIM_PID=$!
PIDS="$PIDS $SIM_PID"
# Kill once the store shows a download under way.
n=0
while :; do
    "$FOTA" -d data status --json >status.json
    if grep -Eq '"progress": [1-9][0-9]?,' status.json; then
        break
    fi
    n=$((n + 1))
    [ $n -lt 300 ] || fail "no progress recorded within 30 s"
    sleep 0.1
done
stop_fotad KILL
killed_at=$(seconds_since "$t0")
under_way=$(grep -Ec '"progress": [1-9][0-9]?,' status.json || true)
confirmed=$(grep -c '"last_result": "confirmed' status.json || true)
[ "$confirmed" -lt "$DEVICES" ] || fail "every device was done before the kill"
ok
sleep 1
start_fotad fotad2 "$PORT"
restarted_at=$(seconds_since "$t0")
SIM_STATUS=0
wait "$SIM_PID" || SIM_STATUS=$?
finished_at=$(seconds_since "$t0")
[ "$SIM_STATUS" -eq 0 ] || fail "fota-sim run exited $SIM_STATUS"
[ "$(figure ok sim.out)" = "$DEVICES" ] || fail "fota-sim: not $DEVICES devices OK"
lost=$(figure lost sim.out)
[ "$lost" -ge 1 ] || fail "no device lost its connection to the killed fotad"
resent=$(figure max_resent_per_loss sim.out)
window=$(figure window_bytes sim.out)
[ "$resent" -le "$window" ] || fail "$resent bytes fetched again after the kill (window $window)"
ok
# After the restart, the downloads went on where they were.
resumed=$(grep ' request: from offset [1-9]' fotad2.log | awk '{ print $4 }' | sort -u | wc -l)
[ "$resumed" -ge 1 ] || fail "no download resumed after the restart"
ok
check_slots v2.img $DEVICES
check_status 2.0.0 "confirmed 2.0.0" $DEVICES
stop_fotad TERM
check_store
done_checks "$DEVICES devices; fotad killed at $killed_at s with $under_way downloads \
recorded under way and $confirmed devices confirmed, restarted at $restarted_at s; \
$lost connections lost, $resumed downloads resumed at their offsets, at most $resent bytes \
fetched again after a lost connection (window $window); \
all done at $finished_at s; store integrity ok"
