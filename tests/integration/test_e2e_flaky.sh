#!/bin/sh
# Connections cut at random frames, between two and inside one, in both
# directions: every device finishes, and after each cut at most one window
# of bytes is fetched again.
set -eu
. "$(dirname "$0")/e2e_lib.sh"
DEVICES=30

setup $DEVICES
"$FOTA" -d data assign --group fleet 2.0.0 >/dev/null
# A session cut before it made progress doubles the agent's reconnect delay;
# starting it at 250 ms instead of 1 s keeps the test short.
run_sim sim.out --flaky 0.06 --seed 7 --backoff 250 --timeout 150
[ "$SIM_STATUS" -eq 0 ] || fail "fota-sim run exited $SIM_STATUS"
[ "$(figure ok sim.out)" = "$DEVICES" ] || fail "fota-sim: not $DEVICES devices OK"
ok
cuts=$(figure conn_cuts sim.out)
inside=$(figure cuts_inside sim.out)
between=$(figure cuts_between sim.out)
points=$(figure cut_points sim.out)
resent=$(figure max_resent_per_cut sim.out)
window=$(figure window_bytes sim.out)
[ "$cuts" -ge 50 ] || fail "only $cuts cuts"
[ "$points" -ge 50 ] || fail "only $points distinct cut points"
[ "$inside" -ge 10 ] && [ "$between" -ge 10 ] ||
    fail "cuts: $inside inside frames, $between between frames"
[ "$resent" -le "$window" ] || fail "$resent bytes fetched again after a cut, window $window"
# Each cut made is counted once, inside a frame or between two.
[ $((inside + between)) -eq "$cuts" ] ||
    fail "$cuts cuts, but $inside inside frames + $between between"
ok
# The server's side: after each cut, the bytes fotad sends again are those
# it had sent beyond the offset the device asks for when it comes back.
awk '
    { id = $4 }
    match($0, / request: from offset [0-9]+/) {
        r = substr($0, RSTART + 22, RLENGTH - 22) + 0
        if ((id in end) && end[id] > r) {
            again = end[id] - r
            total += again
            if (again > max)
                max = again
        }
        start[id] = r
        delete end[id]
    }
    match($0, /; [0-9]+ image bytes sent/) {
        end[id] = start[id] + substr($0, RSTART + 2, RLENGTH - 19)
    }
    END { printf "%d %d\n", max, total }
' fotad.log >resent.txt
read -r server_max server_total <resent.txt
# (None at all would mean fotad's log lines changed, not a perfect link.)
[ "$server_total" -gt 0 ] || fail "no resent bytes found in fotad.log: its format changed?"
[ "$server_max" -le "$window" ] ||
    fail "fotad sent $server_max bytes again after a cut, window $window"
ok
check_slots v2.img $DEVICES
check_status 2.0.0 "confirmed 2.0.0" $DEVICES
stop_fotad TERM
check_store
done_checks "$DEVICES devices, $cuts cuts ($inside inside frames, $between between, \
$points distinct points); after a cut at most $resent bytes that had reached the device \
were fetched again ($(figure resent_bytes sim.out) in all) and fotad sent at most \
$server_max bytes again ($server_total in all), window $window bytes; $SIM_TIME s"
