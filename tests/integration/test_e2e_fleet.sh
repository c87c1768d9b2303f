#!/bin/sh
# 100 simulated devices update concurrently through one fotad: all end on
# 2.0.0, byte for byte the signed image, each recorded as confirmed.
set -eu
. "$(dirname "$0")/e2e_lib.sh"
DEVICES=100

setup $DEVICES
"$FOTA" -d data assign --group fleet 2.0.0 >/dev/null
run_sim sim.out --server "127.0.0.1:$PORT" --timeout 120
[ "$SIM_STATUS" -eq 0 ] || fail "fota-sim run exited $SIM_STATUS"
grep -q "^fota-sim: $DEVICES devices from sim, .*, $DEVICES at once," sim.out ||
    fail "the devices did not all run at once"
[ "$(figure ok sim.out)" = "$DEVICES" ] || fail "fota-sim: not $DEVICES devices OK"
ok
check_slots v2.img $DEVICES
check_status 2.0.0 "confirmed 2.0.0" $DEVICES
kill -0 "$FOTAD_PID" || fail "fotad died"
stop_fotad TERM
check_store

data=$(figure data_bytes sim.out)
[ "$data" -ge $((DEVICES * $(wc -c <v2.img))) ] || fail "only $data DATA bytes received"
ok
done_checks "$DEVICES devices updated at once in $(figure seconds sim.out) s \
(fota-sim run: $SIM_TIME s), $data DATA bytes served, $(figure installs sim.out) installs, \
all byte-identical to v2.img and confirmed"
