#!/bin/sh
# The gprs-bad link to the end: 5 devices behind linkemu --preset gprs-bad
# (5,000 B/s down, 2,500 up, 350 ms each way, the connection cut every 20 s
# of transfer), run 40 times faster (--scale 40: the same bandwidth-delay
# product), with a 200,000-byte image: 40 s of transfer on the real link, so
# about two cuts per device. Every device resumes after each cut at the
# first byte it does not hold and ends on 3.0.0, byte-exact, confirmed in
# fota status.
set -eu
. "$(dirname "$0")/e2e_lib.sh"
DEVICES=5
LINKEMU=$BIN/linkemu
need_exec "$LINKEMU"

setup $DEVICES
"$SIM" mkfw -V 3.0.0 -s 200000 -o v3.bin
"$FOTA" sign -k key.pem -V 3.0.0 -c 3 v3.bin -o v3.img >/dev/null
"$FOTA" -d data image add v3.img >/dev/null
"$FOTA" -d data assign --group fleet 3.0.0 >/dev/null
"$LINKEMU" --listen 127.0.0.1:0 --to "127.0.0.1:$PORT" --preset gprs-bad --scale 40 \
    >link.out 2>link.log &
LINK_PID=$!
PIDS="$PIDS $LINK_PID"
wait_for link.out "^listening on " "$LINK_PID" 100 "linkemu exited at start" \
    "linkemu did not listen within 10 s"
LINK_PORT=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' link.out)
run_sim sim.out --server "127.0.0.1:$LINK_PORT" --backoff 50 --timeout 200
[ "$SIM_STATUS" -eq 0 ] || fail "fota-sim run exited $SIM_STATUS over gprs-bad"
cuts=$(grep -c "closed (cut" link.out || true)
[ "$cuts" -ge "$DEVICES" ] || fail "only $cuts cuts on the link: gprs-bad did not cut"
ok
check_slots v3.img $DEVICES
check_status 3.0.0 "confirmed 3.0.0" $DEVICES
done_checks "$DEVICES devices updated over gprs-bad (scale 40) through $cuts cuts, \
$(figure data_bytes sim.out) data bytes, $(figure resent_bytes sim.out) fetched again, \
in ${SIM_TIME} s (x40 on the real link)"
